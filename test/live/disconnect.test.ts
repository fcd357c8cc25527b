import { SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { newClient } from '../helpers/client'
import { TRANSPORTS, joinOwn, newBody, roomOf, sendLive, uniqueBox, useLiveClients } from '../helpers/live'
import { listOk, sendOk } from '../helpers/messages'
import { RELAY_ORIGIN } from '../helpers/relay'

const { authed, connect } = useLiveClients()

describe('live: after the recipient disconnects', () => {
  it.each(TRANSPORTS)(
    'over %s, 41 and close: later HTTP and live sends to that room still succeed and are listed',
    async (transport) => {
      const b = await authed(transport)
      const box = uniqueBox()
      await joinOwn(b, box)
      await b.close()

      const http = await sendOk(newClient(), { recipient: b.identityKey, messageBox: box, body: newBody() })
      const a = await authed('websocket')
      const { ack, sent } = await sendLive(a, b.identityKey, box)
      expect(ack).toEqual({ status: 'success', messageId: sent.messageId })

      const listed = await listOk(newClient({ privateKey: b.privateKey }), { messageBox: box })
      expect(listed.messages.map((m: { messageId: string }) => m.messageId)).toEqual([
        http.messageId,
        sent.messageId,
      ])
      expect(b.events.filter((e) => e.eventName.startsWith('sendMessage-'))).toEqual([])
    },
  )

  it.each(TRANSPORTS)(
    'over %s, the goodbye is accepted: 41 (then 1 on polling) answered, held GET ended',
    async (transport) => {
      const b = await authed(transport)
      await b.close()
      expect(b.closeErrors).toEqual([])
    },
  )

  it('a WebSocket dropped without 41: later sends still succeed', async () => {
    const b = await authed('websocket-only')
    const box = uniqueBox()
    await joinOwn(b, box)
    await b.drop()
    const res = await sendOk(newClient(), { recipient: b.identityKey, messageBox: box, body: newBody() })
    expect(res.status).toBe('success')
    const a = await authed('polling')
    expect((await sendLive(a, b.identityKey, box)).ack.status).toBe('success')
  })

  it('another connection of the recipient keeps getting pushes when one closes', async () => {
    const b1 = await authed('polling')
    const b2 = await authed('websocket', b1.privateKey)
    const box = uniqueBox()
    await joinOwn(b1, box)
    await joinOwn(b2, box)
    await b1.close()
    const a = await authed('websocket-only')
    const { sent } = await sendLive(a, b1.identityKey, box)
    expect((await b2.nextEvent(`sendMessage-${roomOf(b1.identityKey, box)}`)).messageId).toBe(sent.messageId)
  })

  it('a closed polling sid is gone: a POST to it is refused with 400', async () => {
    const b = await authed('polling')
    const sid = b.open.sid
    await b.close()
    const res = await SELF.fetch(
      `${RELAY_ORIGIN}/socket.io/?EIO=4&transport=polling&sid=${encodeURIComponent(sid)}`,
      {
        method: 'POST',
        body: '40',
      },
    )
    await res.text()
    expect(res.status).toBe(400)
  })
})

describe('live: the authentication deadline (LIVE_AUTH_TIMEOUT_MS, 15 s)', () => {
  it('closes connections that have not authenticated with 41, and keeps authenticated ones', async () => {
    const [polling, ws] = [await connect('polling'), await connect('websocket-only')]
    const handshakeOnly = await connect('websocket')
    // A BRC-103 session without `authenticated` is not authenticated either.
    await handshakeOnly.emit('joinRoom', roomOf(handshakeOnly.identityKey, 'inbox'))
    await handshakeOnly.nextEvent('joinFailed')
    const done = await authed('websocket')

    const closed = await Promise.all([polling, ws, handshakeOnly].map((c) => c.whenClosedByServer(25_000)))
    expect(closed).toEqual([
      'socket.io disconnect (41)',
      'socket.io disconnect (41)',
      'socket.io disconnect (41)',
    ])
    expect(done.closedBy).toBeUndefined()
    const box = uniqueBox()
    await joinOwn(done, box)
  }, 45_000)
})
