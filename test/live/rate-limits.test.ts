import { PrivateKey } from '@bsv/sdk'
import { env, SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { mailbox } from '../../src/objects/stubs'
import { newClient } from '../helpers/client'
import { expectResponse } from '../helpers/messages'
import { inMailbox, sessionsOf } from '../helpers/mailbox'
import { authPacket, LiveClient, type LiveTransport, parseAuthPacket } from '../helpers/live-client'
import { newMessageId, sendLive, useLiveClients } from '../helpers/live'
import { postInitialRequest, randomNonce } from '../helpers/raw-client'
import { randomIp, startOfAMinute } from '../helpers/rate-limits'

// The limits that hold across transports (docs/contract.md limits table): one REQUEST_RATE_LIMIT budget per
// identity for its HTTP requests and its socket events on every connection, and one per-IP handshake budget
// for HTTP handshakes, live connections and BRC-103 handshakes inside them. wrangler.toml: 1200 requests a
// minute, 60 handshakes a minute (the real Workers Rate Limiting binding, as miniflare runs it).
const REQUEST_LIMIT = 1200
const HANDSHAKE_LIMIT = 60
/** What a live connection takes of its identity's window at a time (src/objects/request-rate.ts). */
const LEASE = 10

const { connect, authed } = useLiveClients()

describe('one request budget per identity, HTTP and socket events together (REQUEST_RATE_LIMIT)', () => {
  it('socket events count against the HTTP budget; once it is spent a socket send is 429, and a new connection gets nothing', async () => {
    const key = PrivateKey.fromRandom()
    const alice = newClient({ privateKey: key })
    const bob = PrivateKey.fromRandom().toPublicKey().toString()
    await expectResponse(await alice.post('/listMessageBoxes', {}), 200) // 1: opens the HTTP session
    // Two connections authenticate: one event each, and each takes a lease of the identity's window.
    const [first, second] = [await authed('websocket', key), await authed('polling', key)]

    // The rest of the window through the HTTP path (the middleware's own claim), until it refuses.
    const session = (await inMailbox(alice.identityKey, (box) => sessionsOf(box).list()))[0]!
    const stub = mailbox(env, alice.identityKey)
    let admitted = 0
    for (;;) {
      const claimed = await stub.claimRequest(alice.identityKey, session.serverNonce, randomNonce(32))
      if (!claimed.ok) {
        expect(claimed.reason).toBe('rate-limited')
        break
      }
      admitted++
    }
    expect(admitted).toBe(REQUEST_LIMIT - 1 - 2 * LEASE)

    // HTTP is refused with the signed 429 and its signed x-bsv-retry-after, read through AuthFetch.
    const refused = await alice.post('/listMessageBoxes', {})
    expect(refused.status).toBe(429)
    expect(Number(refused.headers.get('x-bsv-retry-after'))).toBeGreaterThan(0)

    // Each connection still admits what it had leased (already counted above), then is refused too.
    const acks = []
    for (let i = 0; i < LEASE; i++) acks.push((await sendLive(first, bob, 'inbox')).ack)
    expect(acks.slice(0, LEASE - 1).map((a) => a.status)).toEqual(Array(LEASE - 1).fill('success'))
    expect(acks[LEASE - 1]).toMatchObject({ status: 'error', code: 'ERR_RATE_LIMITED' })
    expect((await sendLive(second, bob, 'inbox', { messageId: newMessageId() })).ack.status).toBe('success')

    // A connection opened now starts no window of its own: its first event is over the budget (dropped).
    const third = await connect('polling', key)
    await expect(third.authenticate(undefined, 1_500)).rejects.toThrow(/no authenticationSuccess/)
  })

  it('an identity over its budget through one connection is over it on every other one', async () => {
    const key = PrivateKey.fromRandom()
    const bob = PrivateKey.fromRandom().toPublicKey().toString()
    const [first, second] = [await authed('websocket', key), await authed('websocket-only', key)]
    // Spend the window from the Mailbox's side, as other connections' leases would.
    const stub = mailbox(env, key.toPublicKey().toString())
    let leased = 0
    for (;;) {
      const lease = await stub.leaseRequests(LEASE)
      if (lease.granted === 0) break
      leased += lease.granted
    }
    expect(leased).toBe(REQUEST_LIMIT - 2 * LEASE)
    for (const connection of [first, second]) {
      const acks = []
      for (let i = 0; i < LEASE; i++) acks.push((await sendLive(connection, bob, 'inbox')).ack.status)
      expect(acks).toEqual([...Array(LEASE - 1).fill('success'), 'error'])
    }
  })
})

describe('what the shared budget costs (printed for docs/performance.md, not a pass/fail budget)', () => {
  it('prints ms per lease call to the Mailbox (one per 10 socket events; HTTP requests pay nothing more)', async () => {
    const stub = mailbox(env, PrivateKey.fromRandom().toPublicKey().toString())
    await stub.leaseRequests(LEASE) // warm: the object exists
    const runs = 50
    const start = performance.now()
    for (let i = 0; i < runs; i++) expect((await stub.leaseRequests(LEASE)).granted).toBe(LEASE)
    const perLease = (performance.now() - start) / runs
    console.log(
      `request budget: ${perLease.toFixed(2)} ms per lease call, ${(perLease / LEASE).toFixed(2)} ms per socket event, mean of ${runs}`,
    )
  })
})

describe('one handshake budget per address, HTTP and socket together (HANDSHAKE_RATE_LIMIT)', () => {
  /** An `initialRequest` inside the socket, for a fresh identity, as @bsv/authsocket-client sends it. */
  const initialRequest = () =>
    authPacket({
      version: '0.1',
      messageType: 'initialRequest',
      identityKey: PrivateKey.fromRandom().toPublicKey().toString(),
      initialNonce: randomNonce(),
      requestedCertificates: { certifiers: [], types: {} },
    })

  const answered = (packets: string[]) =>
    packets.filter((p) => p.startsWith('42') && parseAuthPacket(p).messageType === 'initialResponse').length

  /**
   * Opens a connection from `ip` (its open is a handshake) and sends handshakes in it until the server ends
   * it. Not one of `useLiveClients`: the answers to other identities' handshakes are frames this client's
   * own Peer rightly cannot verify.
   */
  async function flood(transport: LiveTransport, ip: string) {
    const c = await LiveClient.connect({ transport, clientAddress: ip })
    try {
      for (let i = 0; i < 100 && c.closedBy === undefined; i++) {
        await c.sendRaw(initialRequest()).catch(() => {})
      }
      return { closedBy: await c.whenClosedByServer(), answered: answered(c.receivedPackets) }
    } finally {
      await c.drop()
    }
  }

  const handshakeFrom = (ip: string) =>
    postInitialRequest(
      (input, init) => SELF.fetch(input, init),
      PrivateKey.fromRandom().toPublicKey().toString(),
      { headers: { 'cf-connecting-ip': ip } },
    )

  // One test, so it waits for the start of a minute once: the binding (the real one, which the Durable Object
  // uses) counts per fixed minute. Each address below has a budget of its own.
  it(
    'a flood of socket handshakes is cut at the per-address budget HTTP handshakes share (WebSocket and polling); the connection ends, nothing more is signed; another address is not affected',
    { timeout: 90_000 },
    async () => {
      const [ip, pollingIp, other] = [randomIp(), randomIp(), randomIp()]
      await startOfAMinute()
      const http = 20
      for (let i = 0; i < http; i++) expect((await handshakeFrom(ip)).status).toBe(200)
      const flooded = await flood('websocket-only', ip)
      expect(flooded.closedBy).toMatch(/41/)
      expect(flooded.answered).toBe(HANDSHAKE_LIMIT - http - 1) // the connection's open was one more
      // And the address is spent for HTTP too.
      expect((await handshakeFrom(ip)).status).toBe(429)

      // Over polling the 41 reaches the client only if a GET is held when the server ends the connection;
      // otherwise its next request finds the session gone. Either way it is over, and nothing more was signed.
      expect((await flood('polling', pollingIp)).answered).toBe(HANDSHAKE_LIMIT - 1)

      // A client from another address connects and authenticates as usual.
      const fine = await connect('polling', undefined, other)
      expect(await fine.authenticate()).toEqual({ status: 'success' })
    },
  )
})
