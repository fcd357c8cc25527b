import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'

// LIVE_MAX_FRAME_BYTES must let the largest send the HTTP API accepts through the socket too. The frame is
// built here the way the real client builds it (docs/live-protocol.md §3.3: the event JSON's UTF-8 bytes written
// as a JSON number array, a 72-byte signature), independently of the relay's code.

function sendMessageFrame(body: string): string {
  const key = '02' + 'ab'.repeat(32)
  const event = {
    eventName: 'sendMessage',
    data: { roomId: `${key}-payment-inbox`, message: { messageId: 'f'.repeat(64), recipient: key, body } },
  }
  const payload = Array.from(new TextEncoder().encode(JSON.stringify(event)))
  const message = {
    version: '0.1',
    messageType: 'general',
    identityKey: key,
    nonce: 'A'.repeat(43) + '=',
    yourNonce: 'B'.repeat(64),
    payload,
    signature: new Array(72).fill(255),
  }
  return '42' + JSON.stringify(['authMessage', message])
}

describe('LIVE_MAX_FRAME_BYTES', () => {
  it('a sendMessage frame carrying a MAX_MESSAGE_BODY_BYTES body (base64 ciphertext, as the client sends) fits', () => {
    const maxBody = Number(env.MAX_MESSAGE_BODY_BYTES)
    const prefix = '{"encryptedMessage":"'
    const body = prefix + 'Zm9v'.repeat((maxBody - prefix.length - 2) / 4) + '"}'
    expect(new TextEncoder().encode(body).length).toBeLessThanOrEqual(maxBody)
    expect(body.length).toBeGreaterThan(maxBody - 8)
    const frame = sendMessageFrame(body)
    expect(frame.length).toBeLessThanOrEqual(Number(env.LIVE_MAX_FRAME_BYTES))
  })

  it('stays under what a Durable Object may receive in one WebSocket message (32 MiB)', () => {
    expect(Number(env.LIVE_MAX_FRAME_BYTES)).toBeLessThan(32 * 1024 * 1024)
  })
})
