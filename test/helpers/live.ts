import type { PrivateKey } from '@bsv/sdk'
import { afterEach, expect } from 'vitest'
import { LiveClient, type LiveTransport } from './live-client'

/** The three ways a client reaches the relay (docs/live-protocol.md §1). */
export const TRANSPORTS: LiveTransport[] = ['polling', 'websocket', 'websocket-only']

/** A room name as the client builds it: `<key>-<box>`. */
export function roomOf(identityKey: string, box: string): string {
  return `${identityKey}-${box}`
}

/** A box name no other test uses. */
export function uniqueBox(prefix = 'inbox'): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`
}

/** A fresh 64-hex message id, the shape message-box-client sends. */
export function newMessageId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, '0')).join(
    '',
  )
}

/** A body shaped like the real client's: JSON with an `encryptedMessage`. */
export function newBody(text = crypto.randomUUID()): string {
  return JSON.stringify({ encryptedMessage: btoa(text) })
}

export interface LiveSend {
  roomId: string
  messageId: string
  recipient: string
  body: string
}

/** Emits `sendMessage` to `<recipient>-<box>` and resolves with the ack's data and what was sent. */
export async function sendLive(
  from: LiveClient,
  recipient: string,
  box: string,
  options: { body?: string; messageId?: string; timeoutMs?: number } = {},
): Promise<{ ack: any; sent: LiveSend }> {
  const sent: LiveSend = {
    roomId: roomOf(recipient, box),
    messageId: options.messageId ?? newMessageId(),
    recipient,
    body: options.body ?? newBody(),
  }
  await from.emit('sendMessage', {
    roomId: sent.roomId,
    message: { messageId: sent.messageId, recipient, body: sent.body },
  })
  const ack = await from.nextEvent(`sendMessageAck-${sent.roomId}`, options.timeoutMs)
  return { ack, sent }
}

/** Joins `<own key>-<box>` and waits for `joinedRoom`. */
export async function joinOwn(client: LiveClient, box: string): Promise<void> {
  const roomId = roomOf(client.identityKey, box)
  await client.emit('joinRoom', roomId)
  expect(await client.nextEvent('joinedRoom')).toEqual({ roomId })
}

/**
 * Live clients for one test file: `connect` opens one (registered for clean-up), `authed` also authenticates.
 * After each test every client is closed and must have received no frame it could not verify.
 */
export function useLiveClients() {
  const open: LiveClient[] = []
  afterEach(async () => {
    const clients = open.splice(0)
    await Promise.allSettled(clients.map((c) => c.close()))
    for (const c of clients) {
      expect(
        c.unverifiedFrames,
        `frames ${c.transport} client ${c.identityKey.slice(0, 8)} rejected`,
      ).toEqual([])
    }
  })
  const connect = async (transport: LiveTransport, privateKey?: PrivateKey, clientAddress?: string) => {
    const client = await LiveClient.connect({ transport, privateKey, clientAddress })
    open.push(client)
    return client
  }
  const authed = async (transport: LiveTransport, privateKey?: PrivateKey, clientAddress?: string) => {
    const client = await connect(transport, privateKey, clientAddress)
    expect(await client.authenticate()).toEqual({ status: 'success' })
    return client
  }
  return { connect, authed }
}
