import { decodePacket, decodePayload, encodePacket, encodePayload, type Packet } from 'engine.io-parser'

/**
 * Engine.IO v4 framing through its own parser (docs/live-protocol.md §1). This protocol is text only: a
 * binary packet is never sent, and one received is dropped by the caller (its type is not handled).
 */
export type EnginePacket = Packet

/** What the open packet advertises; the client honours every field (docs/live-protocol.md §1.1). */
export interface OpenOptions {
  sid: string
  /** `["websocket"]` on a polling connection; `[]` once on WebSocket. */
  upgrades: string[]
  pingInterval: number
  pingTimeout: number
  maxPayload: number
}

export function openPacket(options: OpenOptions): EnginePacket {
  return { type: 'open', data: JSON.stringify(options) }
}

/** One packet as a WebSocket text frame. */
export function encodeFrame(packet: EnginePacket): string {
  return synchronously((done) => encodePacket(packet, false, done as (encoded: unknown) => void))
}

/** Packets as one polling body, joined by the record separator. */
export function encodePollingBody(packets: EnginePacket[]): string {
  return synchronously((done) => encodePayload(packets, done))
}

export function decodeFrame(frame: string): EnginePacket {
  return decodePacket(frame)
}

/** A polling POST body: one or more packets (an undecodable one comes back as type `error`). */
export function decodePollingBody(body: string): EnginePacket[] {
  return decodePayload(body)
}

/** The parser's encoders take callbacks, which it calls synchronously for text packets. */
function synchronously(encode: (done: (encoded: string) => void) => void): string {
  let encoded: string | undefined
  encode((text) => (encoded = text))
  if (encoded === undefined) throw new Error('engine.io-parser did not encode synchronously')
  return encoded
}
