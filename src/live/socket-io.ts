import { Decoder, Encoder, PacketType, type Packet } from 'socket.io-parser'

/**
 * socket.io v4 packets inside Engine.IO `message` packets, through socket.io's own parser
 * (docs/live-protocol.md §2). Only the default namespace and one event name, `authMessage`, are spoken.
 */
export type SocketPacket = Packet
export { PacketType }

export const AUTH_EVENT = 'authMessage'

const encoder = new Encoder()

/** The text of a packet (never binary here: bytes travel as JSON number arrays). */
export function encodeSocketPacket(packet: SocketPacket): string {
  const [text] = encoder.encode(packet)
  if (typeof text !== 'string') throw new Error('socket.io-parser produced a binary packet')
  return text
}

export function connectPacket(sid: string): string {
  return encodeSocketPacket({ type: PacketType.CONNECT, nsp: '/', data: { sid } })
}

export function connectErrorPacket(message: string): string {
  return encodeSocketPacket({ type: PacketType.CONNECT_ERROR, nsp: '/', data: { message } })
}

export const DISCONNECT_PACKET = encodeSocketPacket({ type: PacketType.DISCONNECT, nsp: '/' })

export function authMessagePacket(message: Record<string, unknown>): string {
  return encodeSocketPacket({ type: PacketType.EVENT, nsp: '/', data: [AUTH_EVENT, message] })
}

/**
 * One text packet, or null when it is malformed or binary (a binary packet would wait for attachments
 * that this protocol never sends).
 */
export function decodeSocketPacket(text: string): SocketPacket | null {
  const decoder = new Decoder()
  let packet: SocketPacket | null = null
  decoder.on('decoded', (decoded: SocketPacket) => (packet = decoded))
  try {
    decoder.add(text)
  } catch {
    return null
  } finally {
    decoder.destroy()
  }
  return packet
}
