import { type AuthMessage, CompletedProtoWallet, Peer, PrivateKey, type Transport, Utils } from '@bsv/sdk'
import { SELF } from 'cloudflare:test'
import { RELAY_ORIGIN, withTimeout } from './relay'

/**
 * A raw live-delivery client for tests: Engine.IO v4 and socket.io v4 spoken by hand (docs/live-protocol.md),
 * BRC-103 spoken by the SDK's own `Peer` over a socket.io transport, as @bsv/authsocket-client does. It never
 * imports the server's code, so the server is checked against the protocol, not against itself.
 */

/** How the client reaches the relay: polling for life, polling then an upgrade (the real client), or WebSocket only. */
export type LiveTransport = 'polling' | 'websocket' | 'websocket-only'

/** The Engine.IO open packet (`0{…}`). */
export interface OpenPacket {
  sid: string
  upgrades: string[]
  pingInterval: number
  pingTimeout: number
  maxPayload: number
}

/** A verified general message from the server: the payload `{"eventName":E,"data":D}`. */
export interface LiveEvent {
  eventName: string
  data: any
}

/** A server packet the client could not accept: it failed BRC-103 verification or broke the protocol. */
export interface RejectedFrame {
  packet: string
  error: string
}

export interface LiveClientOptions {
  transport: LiveTransport
  /** Defaults to a fresh random key. */
  privateKey?: PrivateKey
  /** Sent as `CF-Connecting-IP` on every request (the per-IP handshake limit counts it); default none. */
  clientAddress?: string
}

/** Thrown by `authenticate()` when the server answers `authenticationFailed`. */
export class AuthenticationFailed extends Error {
  constructor(readonly data: unknown) {
    super(`authenticationFailed: ${JSON.stringify(data)}`)
  }
}

const SOCKET_PATH = '/socket.io/'
const RECORD_SEPARATOR = '\x1e'
const STEP_TIMEOUT_MS = 5_000
const UPGRADE_SETTLE_MS = 200

/** The Engine.IO packet that carries `message` as the argument of a socket.io `authMessage` event. */
export function authPacket(message: AuthMessage): string {
  return '42' + JSON.stringify(['authMessage', message])
}

/** The AuthMessage inside an `authPacket`. */
export function parseAuthPacket(packet: string): AuthMessage {
  const [name, message] = JSON.parse(packet.slice(2)) as [string, AuthMessage]
  if (!packet.startsWith('42') || name !== 'authMessage') throw new Error(`not an authMessage: ${packet}`)
  return message
}

/** The `{eventName, data}` a general message carries. */
export function eventOf(message: AuthMessage): LiveEvent {
  return JSON.parse(Utils.toUTF8(message.payload ?? [])) as LiveEvent
}

export class LiveClient {
  readonly identityKey: string
  /** The open packet; for 'websocket-only' the first WebSocket frame. */
  open!: OpenPacket
  /** The socket.io sid from the server's `40{"sid"}`. */
  socketId: string | undefined
  /** The server's identity, from its verified `initialResponse`. */
  serverIdentityKey: string | undefined
  /** Every socket.io packet the client sent (`40`, `42[…]`, `41`), as Engine.IO packets, oldest first. */
  readonly sentFrames: string[] = []
  /** Every Engine.IO packet the server sent, oldest first. */
  readonly receivedPackets: string[] = []
  /** Every verified event, oldest first (including the ones `nextEvent` took). */
  readonly events: LiveEvent[] = []
  /** Server packets that failed verification or broke the protocol; a correct server leaves this empty. */
  readonly unverifiedFrames: RejectedFrame[] = []
  /** The wire, in order (`→` sent, `←` received, `GET`/`POST` for polling requests), for failure messages. */
  readonly trace: string[] = []
  /** What went wrong in `close()` (a refused `41` or `1`, a held GET left open); empty after a clean close. */
  readonly closeErrors: string[] = []
  /** Set when the server ended the connection (`41`, `1`, a closed WebSocket or a failed poll). */
  closedBy: string | undefined

  private readonly peer: Peer
  private mode: 'polling' | 'websocket' = 'polling'
  private ws: WebSocket | undefined
  private closed = false
  private pollingPaused = false
  private polling: Promise<void> = Promise.resolve()
  private readonly pollAbort = new AbortController()
  private posts: Promise<void> = Promise.resolve()
  private emits: Promise<void> = Promise.resolve()
  private inbound: Promise<void> = Promise.resolve()
  private onAuthMessage: ((message: AuthMessage) => Promise<void>) | undefined
  private capture: ((message: AuthMessage) => void) | undefined
  private lastSend: Promise<void> = Promise.resolve()
  private readonly pending: LiveEvent[] = []
  private readonly wakeups = new Set<() => void>()
  private probeReply: ((packet: string) => void) | undefined

  private constructor(
    readonly privateKey: PrivateKey,
    readonly transport: LiveTransport,
    /** Headers every request carries besides its own. */
    private readonly headers: Record<string, string>,
  ) {
    this.identityKey = privateKey.toPublicKey().toString()
    const socketTransport: Transport = {
      send: async (message) => {
        if (this.capture && message.messageType === 'general') {
          const capture = this.capture
          this.capture = undefined
          capture(message)
          return
        }
        // Like socket.emit: queued, not awaited. Awaiting a polling POST here would let the initialResponse
        // (on the held GET) arrive before Peer listens for it, and the handshake would hang.
        this.lastSend = this.sendPacket(authPacket(message))
        this.lastSend.catch(() => {})
      },
      onData: async (callback) => {
        this.onAuthMessage = callback
      },
    }
    this.peer = new Peer(new CompletedProtoWallet(privateKey), socketTransport)
    this.peer.listenForGeneralMessages((_sender, payload) => this.deliver(payload))
  }

  /** Connects over `transport` up to the socket.io connect (`40{"sid"}`); BRC-103 starts with the first emit. */
  static async connect(options: LiveClientOptions): Promise<LiveClient> {
    const client = new LiveClient(
      options.privateKey ?? PrivateKey.fromRandom(),
      options.transport,
      options.clientAddress ? { 'cf-connecting-ip': options.clientAddress } : {},
    )
    await withTimeout(client.start(), 10_000, `live connect over ${options.transport}`)
    return client
  }

  /**
   * Emits `authenticated {identityKey: claimed}` (own key by default) and waits for the answer.
   * @throws AuthenticationFailed on `authenticationFailed`.
   */
  async authenticate(claimed = this.identityKey, timeoutMs = STEP_TIMEOUT_MS): Promise<unknown> {
    await this.emit('authenticated', { identityKey: claimed })
    const answer = await this.nextEventOf(['authenticationSuccess', 'authenticationFailed'], timeoutMs)
    if (answer.eventName === 'authenticationFailed') throw new AuthenticationFailed(answer.data)
    return answer.data
  }

  /** Signs `{eventName, data}` as a BRC-103 general message (handshaking first if needed) and sends it. */
  emit(eventName: string, data: unknown): Promise<void> {
    return this.queueEmit(async () => {
      await this.peer.toPeer(encodeEvent(eventName, data), this.serverIdentityKey)
      await this.lastSend
    }, `emit ${eventName}`)
  }

  /**
   * The packet the client would send for `{eventName, data}`, signed for the current session but not sent,
   * for tamper tests. Needs a session (emit something first).
   */
  signedFrame(eventName: string, data: unknown): Promise<string> {
    return this.queueEmit(async () => {
      if (!this.serverIdentityKey) throw new Error('signedFrame needs a BRC-103 session: emit first')
      const captured = new Promise<AuthMessage>((resolve) => (this.capture = resolve))
      await this.peer.toPeer(encodeEvent(eventName, data), this.serverIdentityKey)
      return authPacket(await captured)
    }, `sign ${eventName}`)
  }

  /** The last sent packet whose general-message payload is the event `eventName`. */
  sentEvent(eventName: string): string {
    const packet = this.sentFrames.findLast((p) => {
      if (!p.startsWith('42')) return false
      const message = parseAuthPacket(p)
      return message.messageType === 'general' && eventOf(message).eventName === eventName
    })
    if (!packet) throw new Error(`no ${eventName} was sent`)
    return packet
  }

  /** Resolves with the data of the next verified event named `eventName` (buffered since connect). */
  async nextEvent(eventName: string, timeoutMs = STEP_TIMEOUT_MS): Promise<any> {
    return (await this.nextEventOf([eventName], timeoutMs)).data
  }

  /** The next verified event with any of `eventNames`. */
  async nextEventOf(eventNames: string[], timeoutMs = STEP_TIMEOUT_MS): Promise<LiveEvent> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const i = this.pending.findIndex((e) => eventNames.includes(e.eventName))
      if (i >= 0) return this.pending.splice(i, 1)[0]!
      const left = deadline - Date.now()
      if (left <= 0) {
        const seen = this.events.map((e) => e.eventName).join(', ') || 'none'
        throw new Error(
          `no ${eventNames.join(' or ')} within ${timeoutMs} ms (events seen: ${seen}; ${this.diagnosis()})`,
        )
      }
      await this.wakeup(left)
    }
  }

  /** Waits `ms` and throws if an event named `eventName` arrived (and was not taken) meanwhile. */
  async noEvent(eventName: string, ms = 1_000): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms))
    const got = this.pending.find((e) => e.eventName === eventName)
    if (got) throw new Error(`unexpected ${eventName}: ${JSON.stringify(got.data).slice(0, 300)}`)
  }

  /** Sends one Engine.IO packet as is, over the current transport. */
  sendRaw(packet: string): Promise<void> {
    return this.sendPacket(packet)
  }

  /** Resolves once the server has ended the connection; rejects after `timeoutMs`. */
  async whenClosedByServer(timeoutMs = STEP_TIMEOUT_MS): Promise<string> {
    const deadline = Date.now() + timeoutMs
    while (this.closedBy === undefined) {
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`the server did not close the connection within ${timeoutMs} ms`)
      await this.wakeup(Math.min(left, 100))
    }
    return this.closedBy
  }

  /** Disconnects as the real client does: `41`, then `1` (polling) or an empty close frame (WebSocket). */
  async close(): Promise<void> {
    if (this.closed) return
    if (this.closedBy === undefined) {
      for (const packet of this.mode === 'polling' ? ['41', '1'] : ['41']) {
        await this.sendPacket(packet).catch((error: unknown) => this.closeErrors.push(String(error)))
      }
    }
    this.closed = true
    if (this.ws) {
      try {
        this.ws.close()
      } catch (error) {
        this.closeErrors.push(`WebSocket close: ${String(error)}`)
      }
    }
    // The server should end the held GET (`6`); do not let a test hang on it if it does not.
    const ended = await Promise.race([this.polling.then(() => true), sleep(1_000).then(() => false)])
    if (!ended) this.closeErrors.push('the held GET was not ended within 1 s of the close')
    this.pollAbort.abort()
  }

  /** Loses the transport without a goodbye (no `41`): a WebSocket closed with 1001, or polling abandoned. */
  async drop(): Promise<void> {
    this.closed = true
    this.ws?.close(1001, 'going away')
    this.pollAbort.abort()
    await Promise.race([this.polling, sleep(1_000)])
  }

  private async start(): Promise<void> {
    if (this.transport === 'websocket-only') {
      this.ws = await openWebSocket(`${RELAY_ORIGIN}${SOCKET_PATH}?EIO=4&transport=websocket`, this.headers)
      this.mode = 'websocket'
      this.listen(this.ws)
      await this.until(() => this.open !== undefined, 'the open packet')
      await this.sendPacket('40')
      await this.until(() => this.socketId !== undefined, '40{"sid"}')
      return
    }
    const res = await SELF.fetch(this.pollUrl(false), { headers: { ...this.headers, accept: '*/*' } })
    const text = await res.text()
    if (res.status !== 200 || !text.startsWith('0')) {
      throw new Error(`polling handshake: HTTP ${res.status} ${text.slice(0, 200)}`)
    }
    const [openPacket, ...rest] = text.split(RECORD_SEPARATOR)
    this.open = JSON.parse(openPacket!.slice(1)) as OpenPacket
    for (const packet of rest) this.handlePacket(packet)
    // As the real client: `40`, the next GET and (if upgrading) the probe all at once.
    const connect = this.sendPacket('40')
    this.polling = this.pollLoop()
    if (this.transport === 'websocket') await this.upgrade()
    await connect
    await this.until(() => this.socketId !== undefined, '40{"sid"}')
  }

  /** The probe of docs/live-protocol.md §1.3: `2probe`/`3probe`, wait for the held GET to end, then `5`. */
  private async upgrade(): Promise<void> {
    const ws = await openWebSocket(
      `${RELAY_ORIGIN}${SOCKET_PATH}?EIO=4&transport=websocket&sid=${encodeURIComponent(this.open.sid)}`,
      this.headers,
    )
    this.ws = ws
    const probed = new Promise<string>((resolve) => (this.probeReply = resolve))
    this.listen(ws)
    this.note('ws → 2probe')
    ws.send('2probe')
    const reply = await withTimeout(probed, STEP_TIMEOUT_MS, 'the 3probe answer')
    if (reply !== '3probe') throw new Error(`probe answered with ${JSON.stringify(reply)}`)
    this.pollingPaused = true
    await withTimeout(this.polling, STEP_TIMEOUT_MS, 'the end of the held GET after 3probe')
    await this.posts
    this.mode = 'websocket'
    this.note('ws → 5')
    ws.send('5')
    // Test-harness only: @cloudflare/vitest-pool-workers wraps each Durable Object handler in an async
    // prelude (it re-imports the module per event), so two WebSocket frames sent back to back can reach
    // the object's webSocketMessage in either order. A frame overtaking `5` would meet the probe socket.
    // The real client sends at once, and workerd alone delivers in order; see also rooms.test.ts.
    await sleep(UPGRADE_SETTLE_MS)
  }

  private listen(ws: WebSocket): void {
    ws.addEventListener('message', (event) => {
      const packet = typeof event.data === 'string' ? event.data : '<binary frame>'
      this.note(`ws ← ${packet}`)
      if (this.probeReply) {
        const reply = this.probeReply
        this.probeReply = undefined
        reply(packet)
        return
      }
      if (this.mode !== 'websocket') {
        this.reject(packet, 'a packet on the probe WebSocket before 5')
        return
      }
      this.handlePacket(packet)
    })
    ws.addEventListener('close', (event) => this.endedByServer(`WebSocket close ${event.code}`))
    ws.addEventListener('error', () => this.endedByServer('WebSocket error'))
  }

  private async pollLoop(): Promise<void> {
    while (!this.closed && !this.pollingPaused && this.closedBy === undefined) {
      let res: Response
      try {
        this.note('GET …')
        res = await SELF.fetch(this.pollUrl(true), { headers: this.headers, signal: this.pollAbort.signal })
      } catch (error) {
        if (!this.closed) this.endedByServer(`poll failed: ${String(error)}`)
        return
      }
      const text = await res.text()
      this.note(`GET ← ${res.status} ${text}`)
      if (res.status !== 200) {
        if (!this.closed) this.endedByServer(`poll answered HTTP ${res.status}: ${text.slice(0, 200)}`)
        return
      }
      for (const packet of text.split(RECORD_SEPARATOR)) this.handlePacket(packet)
    }
  }

  private pollUrl(withSid: boolean): string {
    const t = Math.random().toString(36).slice(2, 10)
    const sid = withSid ? `&sid=${encodeURIComponent(this.open.sid)}` : ''
    return `${RELAY_ORIGIN}${SOCKET_PATH}?EIO=4&transport=polling&t=${t}${sid}`
  }

  private sendPacket(packet: string): Promise<void> {
    if (packet.startsWith('4')) this.sentFrames.push(packet)
    if (this.mode === 'websocket') {
      this.note(`ws → ${packet}`)
      this.ws!.send(packet)
      return Promise.resolve()
    }
    // At most one POST in flight, as engine.io-client.
    const post = this.posts.then(async () => {
      this.note(`POST → ${packet}`)
      const res = await SELF.fetch(this.pollUrl(true), {
        method: 'POST',
        headers: { ...this.headers, 'content-type': 'text/plain;charset=UTF-8' },
        body: packet,
      })
      const text = await res.text()
      this.note(`POST ← ${res.status} ${text}`)
      if (res.status !== 200 || text !== 'ok') {
        throw new Error(`POST ${packet.slice(0, 40)}: HTTP ${res.status} ${text.slice(0, 200)}`)
      }
    })
    this.posts = post.catch(() => {})
    return post
  }

  private handlePacket(packet: string): void {
    this.receivedPackets.push(packet)
    switch (packet[0]) {
      case '0':
        this.open = JSON.parse(packet.slice(1)) as OpenPacket
        break
      case '1':
        this.endedByServer('Engine.IO close (1)')
        break
      case '2':
        this.sendPacket('3' + packet.slice(1)).catch(() => {})
        break
      case '4':
        this.handleSocketIo(packet)
        break
      case '6':
        break
      default:
        this.reject(packet, 'unknown Engine.IO packet')
    }
    this.wake()
  }

  private handleSocketIo(packet: string): void {
    const type = packet[1]
    if (type === '0') {
      const sid = (JSON.parse(packet.slice(2) || '{}') as { sid?: string }).sid
      if (typeof sid !== 'string') this.reject(packet, 'socket.io connect without a sid')
      this.socketId = sid
    } else if (type === '1') {
      this.endedByServer('socket.io disconnect (41)')
    } else if (type === '2') {
      let message: AuthMessage
      try {
        message = parseAuthPacket(packet)
      } catch (error) {
        this.reject(packet, String(error))
        return
      }
      this.inbound = this.inbound.then(() => this.receive(packet, message))
    } else {
      this.reject(packet, 'unexpected socket.io packet')
    }
  }

  private async receive(packet: string, message: AuthMessage): Promise<void> {
    // A relay must never start a handshake toward a client (docs/live-protocol.md §5.2): do not answer it.
    if (message.messageType === 'initialRequest') {
      this.reject(packet, 'the server sent an initialRequest')
      return
    }
    if (
      message.messageType === 'general' &&
      this.serverIdentityKey !== undefined &&
      message.identityKey !== this.serverIdentityKey
    ) {
      this.reject(packet, 'a general message naming another identityKey than the session')
      return
    }
    try {
      await this.onAuthMessage!(message)
      if (message.messageType === 'initialResponse') this.serverIdentityKey = message.identityKey
    } catch (error) {
      this.reject(packet, error instanceof Error ? error.message : String(error))
    }
    this.wake()
  }

  private deliver(payload: number[]): void {
    let event: LiveEvent
    try {
      event = JSON.parse(Utils.toUTF8(payload)) as LiveEvent
    } catch {
      this.reject(Utils.toUTF8(payload), 'a verified payload that is not event JSON')
      return
    }
    this.events.push(event)
    this.pending.push(event)
    this.wake()
  }

  private queueEmit<T>(work: () => Promise<T>, what: string): Promise<T> {
    const run = this.emits.then(() =>
      withTimeout(work(), 10_000, what).catch((error: unknown) => {
        throw new Error(`${String(error)}; ${this.diagnosis()}`)
      }),
    )
    this.emits = run.then(
      () => {},
      () => {},
    )
    return run
  }

  /** What the connection saw, for failure messages. */
  diagnosis(): string {
    const short = (packets: string[]) => packets.slice(-6).map((p) => p.slice(0, 60))
    return [
      `transport ${this.transport} (now ${this.mode})`,
      `trace ${JSON.stringify(this.trace.slice(-14))}`,
      `rejected ${JSON.stringify(this.unverifiedFrames.map((f) => f.error))}`,
      `closed by ${this.closedBy ?? 'nobody'}`,
    ].join('; ')
  }

  private note(what: string): void {
    this.trace.push(`${this.trace.length} ${what.slice(0, 70)}`)
  }

  private reject(packet: string, error: string): void {
    this.unverifiedFrames.push({ packet: packet.slice(0, 500), error })
  }

  private endedByServer(how: string): void {
    if (this.closedBy === undefined && !this.closed) this.closedBy = how
    this.wake()
  }

  private wake(): void {
    for (const wakeup of this.wakeups) wakeup()
    this.wakeups.clear()
  }

  private wakeup(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms)
      const wakeups = this.wakeups
      function done() {
        clearTimeout(timer)
        wakeups.delete(done)
        resolve()
      }
      wakeups.add(done)
    })
  }

  private async until(ready: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + STEP_TIMEOUT_MS
    while (!ready()) {
      if (this.closedBy !== undefined)
        throw new Error(`closed by the server (${this.closedBy}) before ${what}`)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no ${what} within ${STEP_TIMEOUT_MS} ms`)
      await this.wakeup(left)
    }
  }
}

function encodeEvent(eventName: string, data: unknown): number[] {
  return Utils.toArray(JSON.stringify({ eventName, data }), 'utf8')
}

async function openWebSocket(url: string, headers: Record<string, string>): Promise<WebSocket> {
  const res = await SELF.fetch(url, { headers: { ...headers, Upgrade: 'websocket' } })
  if (res.status !== 101 || !res.webSocket) {
    throw new Error(`WebSocket upgrade of ${url}: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`)
  }
  res.webSocket.accept()
  return res.webSocket
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
