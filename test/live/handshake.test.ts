import { PrivateKey } from '@bsv/sdk'
import { SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { parseAuthPacket } from '../helpers/live-client'
import { TRANSPORTS, useLiveClients } from '../helpers/live'
import { RELAY_ORIGIN, TEST_SERVER_IDENTITY_KEY } from '../helpers/relay'

const { connect, authed } = useLiveClients()

describe('live: Engine.IO handshake', () => {
  it('a polling GET answers the open packet with the configured limits', async () => {
    const res = await SELF.fetch(`${RELAY_ORIGIN}/socket.io/?EIO=4&transport=polling&t=abcdefgh`)
    const text = await res.text()
    expect(res.status, text).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
    expect(text.startsWith('0'), text).toBe(true)
    const open = JSON.parse(text.split('\x1e')[0]!.slice(1))
    expect(open).toEqual({
      sid: expect.any(String),
      upgrades: ['websocket'],
      pingInterval: 90_000,
      pingTimeout: 20_000,
      maxPayload: 5_242_880,
    })
    expect(open.sid.length).toBeGreaterThan(0)
  })

  it('two handshakes get different sids', async () => {
    const [a, b] = [await connect('polling'), await connect('polling')]
    expect(a.open.sid).not.toBe(b.open.sid)
  })

  it('a WebSocket-only connection gets the same open packet as its first frame', async () => {
    const c = await connect('websocket-only')
    expect(c.receivedPackets[0]!.startsWith('0')).toBe(true)
    expect(c.open).toMatchObject({ pingInterval: 90_000, pingTimeout: 20_000, maxPayload: 5_242_880 })
    expect(typeof c.open.sid).toBe('string')
  })

  it.each(TRANSPORTS)('socket.io connect over %s: 40 is answered 40{"sid"}', async (transport) => {
    const c = await connect(transport)
    expect(c.socketId).toEqual(expect.any(String))
    expect(c.socketId!.length).toBeGreaterThan(0)
    expect(c.receivedPackets).toContain(`40${JSON.stringify({ sid: c.socketId })}`)
  })
})

describe('live: BRC-103 handshake and authenticated', () => {
  it.each(TRANSPORTS)('over %s: the server answers initialRequest and authenticated', async (transport) => {
    const c = await authed(transport)
    expect(c.serverIdentityKey).toBe(TEST_SERVER_IDENTITY_KEY)
    expect(c.events.map((e) => e.eventName)).toEqual(['authenticationSuccess'])
  })

  it('the initialResponse answers the client nonce and is signed (verified by the SDK Peer)', async () => {
    const c = await authed('polling')
    const sentRequest = parseAuthPacket(c.sentFrames.find((p) => p.includes('"initialRequest"'))!)
    const response = c.receivedPackets
      .filter((p) => p.startsWith('42'))
      .map(parseAuthPacket)
      .find((m) => m.messageType === 'initialResponse')!
    expect(response).toMatchObject({
      version: '0.1',
      identityKey: TEST_SERVER_IDENTITY_KEY,
      yourNonce: sentRequest.initialNonce,
    })
    expect(response.initialNonce).toMatch(/^[A-Za-z0-9+/]{64}$/)
  })

  it('every server general message names the server key and answers the session nonce', async () => {
    const c = await authed('websocket')
    const sentRequest = parseAuthPacket(c.sentFrames.find((p) => p.includes('"initialRequest"'))!)
    const general = c.receivedPackets
      .filter((p) => p.startsWith('42'))
      .map(parseAuthPacket)
      .filter((m) => m.messageType === 'general')
    expect(general.length).toBe(1)
    expect(general[0]).toMatchObject({
      identityKey: TEST_SERVER_IDENTITY_KEY,
      yourNonce: sentRequest.initialNonce,
    })
  })

  it('upgraded connections opened together all authenticate: the first frame after 5 is never lost', async () => {
    // Each client sends its initialRequest on the WebSocket right after `5`, as the real client flushes its
    // buffer; several at once make a lost first frame likely to show.
    for (let round = 0; round < 3; round++) {
      const clients = await Promise.all(Array.from({ length: 8 }, () => connect('websocket')))
      const results = await Promise.allSettled(clients.map((c) => c.authenticate()))
      expect(results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []))).toEqual([])
    }
  }, 60_000)

  it('a second connection of the same identity authenticates on its own session', async () => {
    const key = PrivateKey.fromRandom()
    const [a, b] = [await authed('polling', key), await authed('websocket', key)]
    expect(a.identityKey).toBe(b.identityKey)
    expect(a.open.sid).not.toBe(b.open.sid)
  })
})
