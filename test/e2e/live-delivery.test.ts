import { PrivateKey } from '@bsv/sdk'
import { MessageBoxClient, PeerPayClient, type IncomingPayment } from '@bsv/message-box-client'
import { WebSocket } from 'undici'
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest'
import { boxName, newIdentity, TestPaymentWallet, withTimeout, type Identity } from './helpers/clients'
import { FundedTestWallet } from './helpers/funded-wallet'
import {
  createRelayState,
  removeRelayState,
  sleep,
  startRelay,
  type RelayProcess,
  type RelayState,
} from './helpers/wrangler-dev'

// Live delivery (socket.io over Engine.IO v4, BRC-103) with the unmodified @bsv/message-box-client 2.1.1
// against `wrangler dev`. The client's own clocks (docs/live-protocol.md §4.2): 5 s to authenticate, 10 s for a
// sendMessage ack before it silently re-sends over HTTP. So every live send here is timed, and checked not to
// have touched HTTP POST /sendMessage: a relay that never acks would still "work", 10 s late, over HTTP.
const host = inject('relayUrl')
const relayIdentityKey = inject('relayIdentityKey')

/** Well under the client's 10 s ack timeout: a socket ack, not the HTTP fallback. */
const LIVE_BUDGET_MS = 5_000
/** How long a push that must not come is waited for. */
const QUIET_MS = 2_000

/** Who takes part: a name, a key, and a real client (several clients may share one key). */
interface Peer {
  name: string
  identityKey: string
  client: MessageBoxClient
}

/** What a listener's onMessage received, stamped with the moment it ran. */
interface Pushed {
  sender: string
  messageId: string
  body: unknown
  at: number
}

/** The pushes one listener received, in order, and a way to wait for the n-th. */
interface LiveInbox {
  pushes: Pushed[]
  /** Resolves once `count` pushes have arrived; rejects after `ms`. */
  waitFor(count: number, ms?: number): Promise<Pushed[]>
}

// Every client that may hold a socket is disconnected after its test, so no socket.io reconnect loop
// outlives it (docs/live-protocol.md §2.2).
const connected = new Set<MessageBoxClient>()
afterEach(async () => {
  for (const client of connected) {
    await withTimeout(client.disconnectWebSocket(), 'disconnectWebSocket (cleanup)').catch(() => {})
  }
  connected.clear()
})

function person(name: string, url = host): Identity {
  const who = newIdentity(name, url)
  connected.add(who.client)
  return who
}

/** A second client (so a second connection) for the identity of `who`. */
function secondClient(who: Identity, url = host): Peer {
  const client = new MessageBoxClient({ host: url, walletClient: who.wallet, networkPreset: 'local' })
  connected.add(client)
  return { name: `${who.name}#2`, identityKey: who.identityKey, client }
}

/**
 * Resolves with the data of the next `eventName` the relay emits on `client`'s socket that `match` accepts.
 * The app ignores joinedRoom/joinFailed/leftRoom (§4.1); a test listens on its socket to know the relay has
 * processed a fire-and-forget joinRoom before another connection sends.
 */
function nextSocketEvent(
  client: MessageBoxClient,
  eventName: string,
  match: (data: any) => boolean = () => true,
): Promise<any> {
  const socket = client.testSocket
  if (!socket) throw new Error(`no socket yet: cannot wait for ${eventName}`)
  return new Promise((resolve) => {
    socket.on(eventName, (data) => {
      if (match(data)) resolve(data)
    })
  })
}

/** Records every push `onMessage` receives. */
function liveInbox(): { inbox: LiveInbox; onMessage: (message: any) => void } {
  const pushes: Pushed[] = []
  const waiters: Array<() => void> = []
  const onMessage = (message: any) => {
    pushes.push({
      sender: message.sender,
      messageId: message.messageId,
      body: message.body,
      at: performance.now(),
    })
    for (const wake of waiters.splice(0)) wake()
  }
  const waitFor = (count: number, ms = LIVE_BUDGET_MS) =>
    withTimeout(
      new Promise<Pushed[]>((resolve) => {
        const check = () => (pushes.length >= count ? resolve(pushes) : waiters.push(check))
        check()
      }),
      `push #${count}`,
      ms,
    )
  return { inbox: { pushes, waitFor }, onMessage }
}

/**
 * `who` authenticates, listens on `messageBox`, and the relay has confirmed the room (joinedRoom) before
 * this resolves. `initializeConnection` comes first only so that the joinedRoom listener is on the socket
 * before joinRoom is emitted.
 */
async function listen(who: Peer, messageBox: string): Promise<LiveInbox> {
  await withTimeout(who.client.initializeConnection(), `${who.name}.initializeConnection`)
  const roomId = `${who.identityKey}-${messageBox}`
  const joined = nextSocketEvent(who.client, 'joinedRoom', (data) => data?.roomId === roomId)
  const { inbox, onMessage } = liveInbox()
  await withTimeout(
    who.client.listenForLiveMessages({ messageBox, onMessage }),
    `${who.name}.listenForLiveMessages(${messageBox})`,
  )
  await withTimeout(joined, `joinedRoom ${roomId} for ${who.name}`, LIVE_BUDGET_MS)
  return inbox
}

/** Calls HTTP POST /sendMessage made by `client` while `run` runs (the sendLiveMessage fallback's path). */
async function countHttpSends<T>(client: MessageBoxClient, run: () => Promise<T>): Promise<[T, number]> {
  const spy = vi.spyOn(client.authFetch, 'fetch')
  try {
    const result = await run()
    return [result, spy.mock.calls.filter(([url]) => String(url).endsWith('/sendMessage')).length]
  } finally {
    spy.mockRestore()
  }
}

/** `from.sendLiveMessage`, timed from the call, with the number of HTTP sends it made. */
async function sendLive(from: Peer, to: Peer, messageBox: string, body: string) {
  const start = performance.now()
  const [result, httpSends] = await countHttpSends(from.client, () =>
    withTimeout(
      from.client.sendLiveMessage({ recipient: to.identityKey, messageBox, body }, host),
      `${from.name}.sendLiveMessage → ${to.name}/${messageBox}`,
    ),
  )
  return {
    result: result as unknown as Record<string, unknown>,
    start,
    ackMs: performance.now() - start,
    httpSends,
  }
}

/** What the client returns for a socket ack: the ack itself, `{status, messageId}` and nothing else. */
function expectSocketAck(sent: Awaited<ReturnType<typeof sendLive>>) {
  expect(sent.httpSends, 'sendLiveMessage fell back to HTTP POST /sendMessage').toBe(0)
  expect(sent.ackMs, 'the ack came later than a live send should take').toBeLessThan(LIVE_BUDGET_MS)
  // The HTTP fallback would return the relay's JSON (`message: "Your message has been sent…"`) plus messageId.
  expect(sent.result).toEqual({ status: 'success', messageId: expect.stringMatching(/^[0-9a-f]{64}$/) })
}

function logLatency(what: string, ms: number) {
  console.log(`[live-latency] ${what}: ${ms.toFixed(1)} ms`)
}

/** What the tests read of a client's Engine.IO socket (engine.io-client 6.6.8 internals). */
interface EngineView {
  transport: { name: string }
  upgrading: boolean
  writeBuffer: unknown[]
}

function engineOf(client: MessageBoxClient): EngineView | undefined {
  const socket = client.testSocket as unknown as { ioSocket: { io: { engine: EngineView } } } | undefined
  return socket?.ioSocket.io.engine
}

/**
 * One Engine.IO v4 session driven by hand over long-polling, step by step as engine.io-client does
 * (docs/live-protocol.md §1), for what the real client's timing only hits now and then.
 */
async function openPolling(url: string) {
  const base = `${url}/socket.io/?EIO=4&transport=polling`
  const res = await fetch(base, { signal: AbortSignal.timeout(5_000) })
  const openText = await res.text()
  expect(res.status, openText).toBe(200)
  expect(openText.startsWith('0{'), openText).toBe(true)
  const handshake = JSON.parse(openText.slice(1)) as { sid: string } & Record<string, unknown>
  const session = `${base}&sid=${encodeURIComponent(handshake.sid)}`
  return {
    handshake,
    openText,
    websocketUrl: `${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket&sid=${encodeURIComponent(handshake.sid)}`,
    async post(packet: string): Promise<void> {
      const res = await fetch(session, {
        method: 'POST',
        headers: { 'content-type': 'text/plain;charset=UTF-8' },
        body: packet,
        signal: AbortSignal.timeout(5_000),
      })
      expect(`${res.status} ${await res.text()}`).toBe('200 ok')
    },
    /** One poll: its packets (split on the record separator); rejects if not answered within `ms`. */
    async get(ms: number): Promise<{ status: number; packets: string[] }> {
      const res = await fetch(session, { signal: AbortSignal.timeout(ms) })
      const body = await res.text()
      return { status: res.status, packets: res.status === 200 ? body.split('\x1e') : [body] }
    },
  }
}

/** The next text frame `ws` receives; rejects after `ms`. */
function nextFrame(ws: WebSocket, ms: number): Promise<string> {
  return withTimeout(
    new Promise<string>((resolve, reject) => {
      ws.addEventListener('message', (event) => resolve(String(event.data)), { once: true })
      ws.addEventListener('close', () => reject(new Error('WebSocket closed')), { once: true })
    }),
    'WebSocket frame',
    ms,
  )
}

describe('live delivery over socket.io with the real client', () => {
  it("initializeConnection resolves within the client's 5 s: BRC-103 with the relay's key, then the upgrade to WebSocket", async () => {
    const alice = person('alice')
    const start = performance.now()
    await withTimeout(alice.client.initializeConnection(), 'initializeConnection')
    logLatency(
      'initializeConnection (polling handshake + BRC-103 + authenticated)',
      performance.now() - start,
    )

    const socket = alice.client.testSocket!
    expect(socket.connected).toBe(true)
    // The server identity the client's Peer verified the handshake signature against.
    expect(socket.serverIdentityKey).toBe(relayIdentityKey)
    // Polling first, then the WebSocket probe (docs/live-protocol.md §1.3); the probe finishes right after connect.
    const engine = engineOf(alice.client)!
    const deadline = performance.now() + 3_000
    while (engine.transport.name !== 'websocket' && performance.now() < deadline) await sleep(50)
    expect(engine.transport.name).toBe('websocket')

    // Authenticated already: a second call resolves without a new handshake.
    await withTimeout(alice.client.initializeConnection(), 'initializeConnection again', 1_000)
  })

  it("30 fresh connections (3 at a time) each authenticate within the client's 5 s", async () => {
    const failures: string[] = []
    const connect = async (i: number) => {
      const who = person(`client${i}`)
      try {
        await withTimeout(who.client.initializeConnection(), `client${i}.initializeConnection`)
      } catch (error) {
        const engine = engineOf(who.client)
        failures.push(
          `#${i}: ${(error as Error).message} (transport ${engine?.transport.name}, upgrading ${engine?.upgrading}, ` +
            `${engine?.writeBuffer.length} packet(s) the client holds back until the upgrade completes)`,
        )
      } finally {
        await withTimeout(who.client.disconnectWebSocket(), 'disconnectWebSocket')
        connected.delete(who.client)
      }
    }
    for (let i = 0; i < 30; i += 3) await Promise.all([connect(i), connect(i + 1), connect(i + 2)])
    expect(failures).toEqual([])
  }, 120_000)

  it('mid-upgrade, a polling GET that arrives after "2probe" is ended at once with a noop (engine.io checks every 100 ms)', async () => {
    // The real client, on "3probe", stops sending and waits for its in-flight GET before it sends "5"
    // (docs/live-protocol.md §1.3 rule 2). A GET that reaches the server just after "2probe" (the client re-polls
    // as soon as a poll returns) must not be held, or client and server wait for each other.
    const engine = await openPolling(host)
    await engine.post('40')
    expect((await engine.get(5_000)).packets).toEqual([expect.stringMatching(/^40\{"sid":"[^"]+"\}$/)])
    const ws = new WebSocket(engine.websocketUrl)
    try {
      await withTimeout(
        new Promise((resolve, reject) => {
          ws.addEventListener('open', resolve, { once: true })
          ws.addEventListener('error', () => reject(new Error('WebSocket upgrade refused')), { once: true })
        }),
        'WebSocket open',
        5_000,
      )
      const probed = nextFrame(ws, 5_000)
      ws.send('2probe')
      expect(await probed).toBe('3probe')

      const start = performance.now()
      const answer = await engine.get(3_000).catch((error: Error) => `not answered: ${error.message}`)
      const ms = performance.now() - start
      expect(answer, 'the GET sent after "2probe" was held').toEqual({ status: 200, packets: ['6'] })
      expect(ms).toBeLessThan(1_000)

      ws.send('5')
      ws.send('41')
    } finally {
      ws.close()
    }
  })

  it('a probe WebSocket that closes before "5" ends the upgrade: polling GETs are held again, not answered in a noop loop', async () => {
    // engine.io stops its 100 ms noop check when the probe transport closes; the client keeps polling.
    const engine = await openPolling(host)
    await engine.post('40')
    await engine.get(5_000)
    const ws = new WebSocket(engine.websocketUrl)
    await withTimeout(
      new Promise((resolve) => ws.addEventListener('open', resolve, { once: true })),
      'WebSocket open',
      5_000,
    )
    const probed = nextFrame(ws, 5_000)
    ws.send('2probe')
    expect(await probed).toBe('3probe')
    const closed = new Promise((resolve) => ws.addEventListener('close', resolve, { once: true }))
    ws.close()
    await withTimeout(closed, 'WebSocket close', 5_000)
    await sleep(300)

    const answer = await engine.get(1_500).catch(() => 'held')
    expect(answer, 'a GET after the failed probe was answered at once').toBe('held')
    await engine.post('1')
  })

  it("'inbox': B listens, A sendLiveMessage (encrypted) → socket ack, B's onMessage gets the plaintext from A, listMessages has it", async () => {
    const [alice, bob] = [person('alice'), person('bob')]
    const inbox = await listen(bob, 'inbox')

    const sent = await sendLive(alice, bob, 'inbox', 'hello bob, live')
    expectSocketAck(sent)
    logLatency("sendLiveMessage ack ('inbox')", sent.ackMs)

    const [pushed] = await inbox.waitFor(1)
    logLatency("send→push ('inbox', sendLiveMessage)", pushed!.at - sent.start)
    expect(pushed).toMatchObject({
      sender: alice.identityKey,
      messageId: sent.result.messageId,
      body: 'hello bob, live',
    })

    const listed = await withTimeout(
      bob.client.listMessages({ messageBox: 'inbox', host }),
      'bob.listMessages',
    )
    expect(listed.map((m) => [m.messageId, m.sender, m.body])).toEqual([
      [sent.result.messageId, alice.identityKey, 'hello bob, live'],
    ])
    // Keep the shared relay's 'inbox' clean.
    await withTimeout(
      bob.client.acknowledgeMessage({ messageIds: [sent.result.messageId as string], host }),
      'bob.acknowledgeMessage',
    )
    expect(await withTimeout(bob.client.listMessages({ messageBox: 'inbox', host }), 'list')).toEqual([])
  })

  it('an HTTP sendMessage (not live) to a listening recipient is pushed too', async () => {
    const [alice, bob] = [person('alice'), person('bob')]
    const messageBox = boxName('http-push')
    const inbox = await listen(bob, messageBox)

    const start = performance.now()
    const sent = await withTimeout(
      alice.client.sendMessage({ recipient: bob.identityKey, messageBox, body: 'over http' }, host),
      'alice.sendMessage',
    )
    expect(sent.status).toBe('success')
    const [pushed] = await inbox.waitFor(1)
    logLatency('send→push (HTTP sendMessage)', pushed!.at - start)
    expect(pushed).toMatchObject({ sender: alice.identityKey, messageId: sent.messageId, body: 'over http' })
  })

  it("a box named 'payment-inbox': listenForLiveMessages alone connects, joins the whole box name, and gets the push", async () => {
    const [alice, bob] = [person('alice'), person('bob')]
    const { inbox, onMessage } = liveInbox()
    // No initializeConnection first: listenForLiveMessages opens the connection itself. Its joinRoom emit is
    // signed and sent in microtasks, while the relay's answer needs I/O, so a listener added now is in time.
    await withTimeout(
      bob.client.listenForLiveMessages({ messageBox: 'payment-inbox', onMessage }),
      'bob.listenForLiveMessages(payment-inbox)',
    )
    const joined = await withTimeout(
      nextSocketEvent(bob.client, 'joinedRoom'),
      'joinedRoom payment-inbox',
      LIVE_BUDGET_MS,
    )
    expect(joined).toEqual({ roomId: `${bob.identityKey}-payment-inbox` })

    const sent = await sendLive(alice, bob, 'payment-inbox', 'dash in the box name')
    expectSocketAck(sent)
    const [pushed] = await inbox.waitFor(1)
    logLatency("send→push ('payment-inbox')", pushed!.at - sent.start)
    expect(pushed).toMatchObject({ sender: alice.identityKey, body: 'dash in the box name' })
    // Stored under 'payment-inbox', not 'payment' (the reference server's second-field bug, §5.6).
    expect(await withTimeout(bob.client.listMessages({ messageBox: 'payment', host }), 'list')).toEqual([])
    expect(
      (await withTimeout(bob.client.listMessages({ messageBox: 'payment-inbox', host }), 'list')).map(
        (m) => m.body,
      ),
    ).toEqual(['dash in the box name'])
  })

  it('leaveRoom stops the pushes for that box; the message is still stored and listed', async () => {
    const [alice, bob] = [person('alice'), person('bob')]
    const messageBox = boxName('left')
    const inbox = await listen(bob, messageBox)

    const left = nextSocketEvent(bob.client, 'leftRoom')
    await withTimeout(bob.client.leaveRoom(messageBox), 'bob.leaveRoom')
    expect(await withTimeout(left, 'leftRoom', LIVE_BUDGET_MS)).toEqual({
      roomId: `${bob.identityKey}-${messageBox}`,
    })

    const sent = await sendLive(alice, bob, messageBox, 'after leaving')
    expectSocketAck(sent)
    // The client keeps its sendMessage-<room> listener after leaveRoom (§4.1): only the relay can stop this.
    await sleep(QUIET_MS)
    expect(inbox.pushes).toEqual([])
    expect(
      (await withTimeout(bob.client.listMessages({ messageBox, host }), 'bob.listMessages')).map(
        (m) => m.body,
      ),
    ).toEqual(['after leaving'])
  })

  it('disconnectWebSocket closes cleanly; later sends to B (live and HTTP) are stored and listed', async () => {
    const [alice, bob] = [person('alice'), person('bob')]
    const messageBox = boxName('after-disconnect')
    await listen(bob, messageBox)
    const socket = bob.client.testSocket!
    const reasons: unknown[] = []
    socket.on('disconnect', (reason) => reasons.push(reason))

    await withTimeout(bob.client.disconnectWebSocket(), 'bob.disconnectWebSocket')
    expect(bob.client.testSocket).toBeUndefined()
    expect(socket.connected).toBe(false)
    expect(reasons).toEqual(['io client disconnect'])

    // The relay must not trip over a push to a connection that is gone.
    const live = await sendLive(alice, bob, messageBox, 'live, B gone')
    expectSocketAck(live)
    const http = await withTimeout(
      alice.client.sendMessage({ recipient: bob.identityKey, messageBox, body: 'http, B gone' }, host),
      'alice.sendMessage',
    )
    expect(http.status).toBe('success')
    expect(
      (await withTimeout(bob.client.listMessages({ messageBox, host }), 'bob.listMessages')).map(
        (m) => m.body,
      ),
    ).toEqual(['live, B gone', 'http, B gone'])
    // No reconnection behind the client's back (a zombie would reconnect within ~1–5 s, §2.2).
    await sleep(QUIET_MS)
    expect(socket.connected).toBe(false)
    expect(bob.client.testSocket).toBeUndefined()
  })

  it('two connections of one identity both receive each push', async () => {
    const [alice, bob1] = [person('alice'), person('bob')]
    const bob2 = secondClient(bob1)
    const messageBox = boxName('two-devices')
    const first = await listen(bob1, messageBox)
    const second = await listen(bob2, messageBox)

    const sent = await sendLive(alice, bob1, messageBox, 'to both devices')
    expectSocketAck(sent)
    const [[a], [b]] = await Promise.all([first.waitFor(1), second.waitFor(1)])
    logLatency('send→push (two connections, first)', a!.at - sent.start)
    logLatency('send→push (two connections, second)', b!.at - sent.start)
    for (const pushed of [a, b]) {
      expect(pushed).toMatchObject({
        sender: alice.identityKey,
        messageId: sent.result.messageId,
        body: 'to both devices',
      })
    }
    // Each connection got it exactly once, and both are still up.
    await sleep(500)
    expect([first.pushes.length, second.pushes.length]).toEqual([1, 1])
    expect([bob1.client.testSocket?.connected, bob2.client.testSocket?.connected]).toEqual([true, true])
  })

  it('send→push latency over several live sends: each pushed once, in order', async () => {
    const [alice, bob] = [person('alice'), person('bob')]
    const messageBox = boxName('latency')
    const inbox = await listen(bob, messageBox)
    const starts: number[] = []
    const acks: number[] = []
    for (let i = 1; i <= 5; i++) {
      const sent = await sendLive(alice, bob, messageBox, `message ${i}`)
      expectSocketAck(sent)
      starts.push(sent.start)
      acks.push(sent.ackMs)
      await inbox.waitFor(i)
    }
    expect(inbox.pushes.map((p) => p.body)).toEqual([1, 2, 3, 4, 5].map((i) => `message ${i}`))
    inbox.pushes.forEach((pushed, i) => {
      logLatency(`send→push #${i + 1} (ack ${acks[i]!.toFixed(1)} ms)`, pushed.at - starts[i]!)
    })
    await sleep(500)
    expect(inbox.pushes).toHaveLength(5)
  })

  it('a repeated live send (same body → same messageId) is acked both times and stored once', async () => {
    const [alice, bob] = [person('alice'), person('bob')]
    const messageBox = boxName('repeat')
    const inbox = await listen(bob, messageBox)
    const first = await sendLive(alice, bob, messageBox, 'same body')
    const again = await sendLive(alice, bob, messageBox, 'same body')
    expectSocketAck(first)
    expectSocketAck(again)
    expect(again.result.messageId).toBe(first.result.messageId)
    await inbox.waitFor(1)
    await sleep(500)
    console.log(`[live-info] pushes for a repeated send: ${inbox.pushes.length}`)
    expect(
      (await withTimeout(bob.client.listMessages({ messageBox, host }), 'list')).map((m) => m.messageId),
    ).toEqual([first.result.messageId])
  })

  it('a live send the relay refuses (sender blocked) gets an error ack: the client falls back to HTTP at once and surfaces its 403', async () => {
    const [alice, bob] = [person('alice'), person('bob')]
    const messageBox = boxName('blocked')
    await withTimeout(
      bob.client.setMessageBoxPermission({ messageBox, sender: alice.identityKey, recipientFee: -1 }, host),
      'bob blocks alice',
    )
    const inbox = await listen(bob, messageBox)

    const start = performance.now()
    const [outcome, httpSends] = await countHttpSends(alice.client, () =>
      withTimeout(
        alice.client.sendLiveMessage({ recipient: bob.identityKey, messageBox, body: 'blocked' }, host),
        'alice.sendLiveMessage',
      ).then(
        () => 'resolved',
        (error: Error) => error.message,
      ),
    )
    const ms = performance.now() - start
    // Only the HTTP fallback can answer 403; that it came this fast means an error ack, not the 10 s timeout.
    expect(outcome).toMatch(/HTTP 403/)
    expect(httpSends).toBe(1)
    expect(ms).toBeLessThan(LIVE_BUDGET_MS)
    logLatency('refused live send → error ack → HTTP 403', ms)
    await sleep(500)
    expect(inbox.pushes).toEqual([])
    expect(await withTimeout(bob.client.listMessages({ messageBox, host }), 'list')).toEqual([])
  })

  it("claiming another identity in 'authenticated' than the BRC-103 handshake proved → authenticationFailed", async () => {
    const [mallory, bob] = [person('mallory'), person('bob')]
    // The client sends `authenticated {identityKey: myIdentityKey}`; the session is still Mallory's own key.
    ;(mallory.client as unknown as { myIdentityKey: string }).myIdentityKey = bob.identityKey
    const start = performance.now()
    await expect(
      withTimeout(mallory.client.initializeConnection(), 'mallory.initializeConnection'),
    ).rejects.toThrow(/WebSocket authentication failed!/)
    // A refusal, not the client's 5 s timeout.
    expect(performance.now() - start).toBeLessThan(LIVE_BUDGET_MS)
  })

  it("joinRoom for another identity's room → joinFailed, and that room's pushes never reach the intruder", async () => {
    const [alice, bob, eve] = [person('alice'), person('bob'), person('eve')]
    const messageBox = boxName('private')
    const bobInbox = await listen(bob, messageBox)
    await withTimeout(eve.client.initializeConnection(), 'eve.initializeConnection')
    const bobRoom = `${bob.identityKey}-${messageBox}`
    const refused = nextSocketEvent(eve.client, 'joinFailed')
    const joined = nextSocketEvent(eve.client, 'joinedRoom').then((data) => ({ joined: data }))
    const eavesdropped: unknown[] = []
    eve.client.testSocket!.on(`sendMessage-${bobRoom}`, (data) => eavesdropped.push(data))
    // Through the client's own authenticated socket: a signed joinRoom naming Bob's room.
    eve.client.testSocket!.emit('joinRoom', bobRoom)
    const answer = await withTimeout(Promise.race([refused, joined]), 'joinFailed', LIVE_BUDGET_MS)
    expect(answer).toEqual({ reason: expect.any(String) })

    const sent = await sendLive(alice, bob, messageBox, 'for bob only')
    expectSocketAck(sent)
    await bobInbox.waitFor(1)
    await sleep(QUIET_MS)
    expect(eavesdropped).toEqual([])
  })
})

describe('PeerPayClient live payments', () => {
  it('listenForLivePayments + sendLivePayment (FundedTestWallet: a real AtomicBEEF, no funds needed) → the token is pushed over the socket', async () => {
    // createPaymentToken needs createAction to return an AtomicBEEF (BRC-29 settlement checks it):
    // FundedTestWallet builds one from a made-up parent. The relay does not look inside 'payment_inbox'
    // bodies (ciphertext, free box), so no chain tracker is involved: blocks are not registered.
    const payerWallet = new FundedTestWallet(PrivateKey.fromRandom(), 'http://127.0.0.1:9')
    payerWallet.registerBlocks = false
    const payeeKey = PrivateKey.fromRandom()
    const payer = new PeerPayClient({ messageBoxHost: host, walletClient: payerWallet })
    const payee = new PeerPayClient({ messageBoxHost: host, walletClient: new TestPaymentWallet(payeeKey) })
    connected.add(payer)
    connected.add(payee)
    const payeeIdentity = payeeKey.toPublicKey().toString()
    const payerIdentity = (await payerWallet.getPublicKey({ identityKey: true })).publicKey

    await withTimeout(payee.initializeConnection(), 'payee.initializeConnection')
    const joined = nextSocketEvent(payee, 'joinedRoom')
    const payments: Array<IncomingPayment & { at: number }> = []
    await withTimeout(
      payee.listenForLivePayments({
        onPayment: (payment) => payments.push({ ...payment, at: performance.now() }),
        overrideHost: host,
      }),
      'payee.listenForLivePayments',
    )
    expect(await withTimeout(joined, 'joinedRoom payment_inbox', LIVE_BUDGET_MS)).toEqual({
      roomId: `${payeeIdentity}-payment_inbox`,
    })

    const start = performance.now()
    const [, httpSends] = await countHttpSends(payer, () =>
      withTimeout(
        payer.sendLivePayment({ recipient: payeeIdentity, amount: 1000 }, host),
        'payer.sendLivePayment',
      ),
    )
    const ackMs = performance.now() - start
    expect(httpSends, 'sendLivePayment fell back to HTTP').toBe(0)
    expect(ackMs).toBeLessThan(LIVE_BUDGET_MS)

    const deadline = performance.now() + LIVE_BUDGET_MS
    while (payments.length === 0 && performance.now() < deadline) await sleep(20)
    expect(payments).toHaveLength(1)
    logLatency('send→push (PeerPay sendLivePayment)', payments[0]!.at - start)
    const [payment] = payments
    expect(payment!.sender).toBe(payerIdentity)
    expect(payment!.token.amount).toBe(1000)
    expect(payment!.token.transaction).toEqual(Array.from(payerWallet.createdTransactions[0]!.toAtomicBEEF()))
    expect(payment!.token.customInstructions).toEqual({
      derivationPrefix: expect.any(String),
      derivationSuffix: expect.any(String),
    })

    const listed = await withTimeout(payee.listIncomingPayments(host), 'payee.listIncomingPayments')
    expect(listed.map((p) => [p.messageId, p.token.amount])).toEqual([[payment!.messageId, 1000]])
    await withTimeout(payee.acknowledgeMessage({ messageIds: [payment!.messageId], host }), 'ack')
  })
})

describe('heartbeat and the unauthenticated deadline (own relay: 1 s pings, 2 s ping timeout, 3 s to authenticate)', () => {
  const PING_INTERVAL_MS = 1_000
  const PING_TIMEOUT_MS = 2_000
  const AUTH_TIMEOUT_MS = 3_000
  let state: RelayState
  let relay: RelayProcess | undefined

  beforeAll(async () => {
    state = createRelayState()
    relay = await startRelay(state, {
      vars: {
        HANDSHAKE_RATE_LIMIT: '0',
        LIVE_PING_INTERVAL_MS: String(PING_INTERVAL_MS),
        LIVE_PING_TIMEOUT_MS: String(PING_TIMEOUT_MS),
        LIVE_AUTH_TIMEOUT_MS: String(AUTH_TIMEOUT_MS),
      },
    })
    console.log(`[e2e] live heartbeat relay log: ${relay.logFile}`)
  })
  afterAll(async () => {
    await relay?.stop()
    if (state) removeRelayState(state)
  })

  it('the server pings, so a quiet authenticated connection outlives several ping windows and still gets pushes', async () => {
    const url = relay!.url
    const [alice, bob] = [person('alice', url), person('bob', url)]
    const messageBox = boxName('quiet')
    const inbox = await listen(bob, messageBox)
    const reasons: unknown[] = []
    bob.client.testSocket!.on('disconnect', (reason) => reasons.push(reason))

    // The client drops a connection ("ping timeout") after pingInterval + pingTimeout without a ping.
    await sleep(3 * (PING_INTERVAL_MS + PING_TIMEOUT_MS))
    expect(reasons).toEqual([])
    expect(bob.client.testSocket?.connected).toBe(true)

    const start = performance.now()
    const sent = await withTimeout(
      alice.client.sendLiveMessage({ recipient: bob.identityKey, messageBox, body: 'still there?' }, url),
      'alice.sendLiveMessage',
    )
    expect(sent).toEqual({ status: 'success', messageId: expect.any(String) })
    expect(performance.now() - start).toBeLessThan(LIVE_BUDGET_MS)
    const [pushed] = await inbox.waitFor(1)
    expect(pushed!.body).toBe('still there?')
  })

  it('an Engine.IO/socket.io connection that never authenticates gets pings, then "41" at LIVE_AUTH_TIMEOUT_MS', async () => {
    const t0 = performance.now()
    const elapsed = () => Math.round(performance.now() - t0)
    const engine = await openPolling(relay!.url)
    expect(engine.handshake).toMatchObject({
      sid: expect.any(String),
      upgrades: ['websocket'],
      pingInterval: PING_INTERVAL_MS,
      pingTimeout: PING_TIMEOUT_MS,
      maxPayload: expect.any(Number),
    })
    await engine.post('40')

    // Long-poll as engine.io-client does: answer each ping, never send authMessage.
    const trace: string[] = [`0 ${engine.openText}`]
    let closedAt: number | undefined
    while (closedAt === undefined && elapsed() < AUTH_TIMEOUT_MS + 10_000) {
      const { status, packets } = await engine.get(15_000)
      if (status !== 200) {
        trace.push(`${elapsed()} HTTP ${status} ${packets.join('')}`)
        break
      }
      for (const packet of packets) {
        trace.push(`${elapsed()} ${packet}`)
        if (packet === '2') await engine.post('3')
        if (packet === '41' || packet === '1') closedAt ??= elapsed()
      }
    }
    const text = trace.join('\n')
    expect(
      trace.some((line) => / 40\{"sid":"[^"]+"\}$/.test(line)),
      text,
    ).toBe(true)
    expect(trace.filter((line) => line.endsWith(' 2')).length, text).toBeGreaterThanOrEqual(1)
    expect(
      trace.some((line) => line.endsWith(' 41')),
      text,
    ).toBe(true)
    expect(closedAt, text).toBeGreaterThanOrEqual(AUTH_TIMEOUT_MS - 500)
    expect(closedAt, text).toBeLessThan(AUTH_TIMEOUT_MS + 5_000)
    console.log(
      `[live-info] unauthenticated connection closed at ${closedAt} ms (deadline ${AUTH_TIMEOUT_MS} ms)`,
    )
  })
})
