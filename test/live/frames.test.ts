import { PrivateKey } from '@bsv/sdk'
import { describe, expect, it } from 'vitest'
import { authPacket, parseAuthPacket } from '../helpers/live-client'
import { newBody, newMessageId, roomOf, sendLive, uniqueBox, useLiveClients } from '../helpers/live'
import { randomKey, storedFor } from '../helpers/messages'
import { randomNonce } from '../helpers/raw-client'

const { authed, connect } = useLiveClients()

/** A sendMessage event to `<recipient>-<box>` with a body that carries `marker`. */
function sendMessageData(recipient: string, box: string, marker = 'TAMPERME') {
  return {
    roomId: roomOf(recipient, box),
    message: { messageId: newMessageId(), recipient, body: newBody(marker) + marker },
  }
}

describe('live: only correctly signed, fresh frames are processed', () => {
  it.each(['polling', 'websocket'] as const)(
    'over %s, a replayed sendMessage frame is dropped: no second ack, one stored message',
    async (transport) => {
      const a = await authed(transport)
      const recipient = randomKey()
      const box = uniqueBox()
      const { ack, sent } = await sendLive(a, recipient, box)
      expect(ack.status).toBe('success')

      await a.sendRaw(a.sentEvent('sendMessage'))
      await a.noEvent(`sendMessageAck-${sent.roomId}`, 1_500)
      expect(await storedFor(recipient)).toHaveLength(1)

      // The connection still works after the drop.
      expect((await sendLive(a, recipient, box)).ack.status).toBe('success')
    },
  )

  it('a replayed authenticated frame gets no second answer', async () => {
    const a = await authed('websocket')
    await a.sendRaw(a.sentEvent('authenticated'))
    await a.noEvent('authenticationSuccess', 1_000)
    await a.noEvent('authenticationFailed', 0)
  })

  it('a frame captured on one connection is dropped on another connection of the same identity', async () => {
    const key = PrivateKey.fromRandom()
    const first = await authed('websocket', key)
    const recipient = randomKey()
    const box = uniqueBox()
    const frame = await first.signedFrame('sendMessage', sendMessageData(recipient, box))
    const second = await authed('polling', key)
    await second.sendRaw(frame)
    await second.noEvent(`sendMessageAck-${roomOf(recipient, box)}`, 1_500)
    expect(await storedFor(recipient)).toEqual([])
  })

  describe('a tampered frame is dropped (no ack, nothing stored), and the genuine one still goes through', () => {
    const tamperings: [string, (packet: string) => string][] = [
      [
        'a payload byte changed',
        (packet) => {
          const m = parseAuthPacket(packet)
          const payload = [...m.payload!]
          const at = payload.indexOf('T'.charCodeAt(0), payload.length - 40)
          payload[at] = 'X'.charCodeAt(0)
          return authPacket({ ...m, payload })
        },
      ],
      [
        'a signature byte flipped',
        (packet) => {
          const m = parseAuthPacket(packet)
          const signature = [...m.signature!]
          signature[signature.length - 5]! ^= 0x01
          return authPacket({ ...m, signature })
        },
      ],
      [
        'the nonce changed',
        (packet) => {
          const m = parseAuthPacket(packet)
          return authPacket({
            ...m,
            nonce: randomNonce(32),
          })
        },
      ],
      [
        'yourNonce changed',
        (packet) => {
          const m = parseAuthPacket(packet)
          return authPacket({
            ...m,
            yourNonce: randomNonce(),
          })
        },
      ],
      [
        'the signature removed',
        (packet) => {
          const { signature: _, ...m } = parseAuthPacket(packet)
          return authPacket(m)
        },
      ],
      ['the version changed', (packet) => authPacket({ ...parseAuthPacket(packet), version: '0.2' })],
    ]
    it.each(tamperings)('%s', async (_, tamper) => {
      const a = await authed('websocket')
      const recipient = randomKey()
      const box = uniqueBox()
      const data = sendMessageData(recipient, box)
      const genuine = await a.signedFrame('sendMessage', data)

      await a.sendRaw(tamper(genuine))
      await a.noEvent(`sendMessageAck-${data.roomId}`, 1_500)
      expect(await storedFor(recipient)).toEqual([])

      await a.sendRaw(genuine)
      expect(await a.nextEvent(`sendMessageAck-${data.roomId}`)).toEqual({
        status: 'success',
        messageId: data.message.messageId,
      })
      expect((await storedFor(recipient)).map((m) => m.body)).toEqual([data.message.body])
    })
  })

  it("a frame naming another identityKey is still the session's: never stored as that identity", async () => {
    const a = await authed('websocket')
    const impersonated = randomKey()
    const recipient = randomKey()
    const box = uniqueBox()
    const data = sendMessageData(recipient, box)
    const m = parseAuthPacket(await a.signedFrame('sendMessage', data))
    await a.sendRaw(authPacket({ ...m, identityKey: impersonated }))
    // Dropping it or storing it from the session's identity are both correct; storing it as `impersonated` is not.
    await a.nextEvent(`sendMessageAck-${data.roomId}`, 1_500).catch(() => undefined)
    expect((await storedFor(recipient)).map((row) => row.sender)).not.toContain(impersonated)
  })

  it('unsigned socket.io events and other event names are ignored', async () => {
    const a = await connect('websocket')
    const recipient = randomKey()
    const box = uniqueBox()
    const data = sendMessageData(recipient, box)
    await a.sendRaw('42' + JSON.stringify(['sendMessage', data]))
    await a.sendRaw('42' + JSON.stringify(['authMessage', { eventName: 'sendMessage', data }]))
    await a.sendRaw('42' + JSON.stringify(['authMessage', 'not an object']))
    // The connection survives and still authenticates.
    expect(await a.authenticate()).toEqual({ status: 'success' })
    await a.noEvent(`sendMessageAck-${data.roomId}`, 0)
    expect(await storedFor(recipient)).toEqual([])
  })
})
