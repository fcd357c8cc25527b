import { DurableObject } from 'cloudflare:workers'
import {
  type LiveEvent,
  openGeneralMessage,
  sealGeneralMessage,
  type SocketSession,
} from '../brc103/general-message'
import { answerInitialRequest } from '../brc103/initial-response'
import { type Config, readConfig } from '../config'
import { randomBytes, toHex } from '../crypto/encoding'
import { createDb, type Db } from '../db/client'
import { loadServerKey, type ServerKey } from '../crypto/server-key'
import type { LivePush } from '../live/push'
import type { Env } from '../env'
import { RelayError } from '../errors'
import { networkId } from '../http/client-network'
import { isJsonObject } from '../http/json-body'
import { AUTH_VERSION } from '../brc103/wire'
import { clientAddress, limitHandshakesFrom } from '../http/handshake-limit'
import { readLimited } from '../http/read-limited'
import { addSession, type ConnectionState, newConnectionState, SeenNonces } from '../live/connection-state'
import {
  decodeFrame,
  decodePollingBody,
  encodeFrame,
  encodePollingBody,
  type EnginePacket,
  openPacket,
} from '../live/engine-io'
import { engineError } from '../live/engine-error'
import { handleEvent } from '../live/events'
import { LeasedRequests } from '../live/leased-requests'
import { PollingOutbox } from '../live/polling'
import {
  AUTH_EVENT,
  authMessagePacket,
  connectErrorPacket,
  connectPacket,
  decodeSocketPacket,
  DISCONNECT_PACKET,
  PacketType,
} from '../live/socket-io'
import { liveConnection, mailbox } from './stubs'
import { leaseSize } from './request-rate'

/** The WebSocket's attachment (kept by the runtime across hibernation, ≤ 2 KB). */
interface SocketAttachment {
  /** `probe` until the client's upgrade packet (`5`), then `main`. */
  role: 'probe' | 'main'
  /** When the last ping went out (ms), null before the first. */
  pingSentAt: number | null
}

/** A held GET is answered with a noop after this, so no proxy times it out (the client polls again at once). */
const MAX_POLL_HOLD_MS = 25_000
const STATE_KEY = 'state'

/**
 * One live socket.io connection (Engine.IO v4, long-polling and WebSocket), named by its sid: its
 * transport, its BRC-103 sessions and, once proven, its identity (docs/live-protocol.md). The WebSocket is
 * accepted with the Hibernation API, so an idle connection holds no memory and bills no duration; the
 * client's pongs are answered by the runtime (auto-response) without waking the object, and the object's
 * alarm sends the server's pings and closes what stopped answering.
 *
 * Inbound frames are handled strictly in order (one queue around the async verification): the client
 * sends `joinRoom` and `sendMessage` back to back.
 */
export class LiveConnection extends DurableObject<Env> {
  private state: ConnectionState | null | undefined
  private readonly polling = new PollingOutbox()
  private readonly nonces: SeenNonces
  private inbound: Promise<unknown> = Promise.resolve()
  /** This connection's share of its identity's REQUEST_RATE_LIMIT, leased from the identity's Mailbox. */
  private readonly requests = new LeasedRequests()
  /** The database handle, made on first use (a send over the socket), then kept for the object's life. */
  private dbHandle: Db | undefined
  /** Read on first use: an object's `env` is fixed for its lifetime, and frames arrive many per connection. */
  private configRead: Config | undefined
  private get config(): Config {
    return (this.configRead ??= readConfig(this.env))
  }
  /** Heartbeat of a polling connection (in memory: a polling client always has a request in flight). */
  private pollingPingSentAt: number | null = null
  private pollingPongAt = 0
  /**
   * The client said goodbye (socket.io `41`) over polling: everything is gone, but its Engine.IO session
   * lingers in memory until its `1`, which is answered `ok` as engine.io does (docs/live-protocol.md §1.5).
   */
  private saidGoodbye = false

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    this.nonces = new SeenNonces(ctx.storage.sql)
    // A pong never wakes the object: the runtime answers it (with a noop, which the client ignores) and
    // records when, which is all the alarm needs to know.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('3', '6'))
  }

  /** The Worker's forwarded Engine.IO requests (src/routes/socket-io.ts): `/open`, `/poll`, `/post`, `/upgrade`. */
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url)
    const config = this.config
    switch (url.pathname) {
      case '/open':
        return this.open(request, url.searchParams.get('sid')!, config)
      case '/poll':
        return this.poll()
      case '/post':
        return this.post(request, config)
      case '/upgrade':
        return this.upgrade()
    }
    return engineError(3, 'Bad request')
  }

  /** RPC from the identity's Mailbox: a committed message for a room this connection joined. */
  async deliver(box: string, push: LivePush): Promise<'delivered' | 'gone'> {
    const state = this.load()
    const session = state?.sessions.find((s) => s.serverNonce === state.pushSession)
    if (!state?.identity || !session) return 'gone'
    await this.emit(session, { eventName: `sendMessage-${state.identity}-${box}`, data: push })
    return 'delivered'
  }

  /** RPC: the identity's Mailbox dropped this connection over its cap. Ends it the socket.io way. */
  async evict(): Promise<void> {
    if (this.load()) await this.end({ notify: true })
  }

  async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const config = this.config
    const size = typeof message === 'string' ? message.length : message.byteLength
    if (size > config.liveMaxFrameBytes) {
      console.warn(`live: frame of ${size} bytes over LIVE_MAX_FRAME_BYTES; closing the connection`)
      return this.end({ notify: true, closeCode: 1009 })
    }
    if (typeof message !== 'string') return // this protocol is text only
    const attachment = ws.deserializeAttachment() as SocketAttachment
    if (attachment.role === 'probe') return this.probe(ws, message)
    return this.onPacket(decodeFrame(message))
  }

  async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    await this.socketGone(ws)
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code)
    } catch {
      // already closed
    }
  }

  async webSocketError(ws: WebSocket): Promise<void> {
    await this.socketGone(ws)
  }

  /** The connection's WebSocket ends it; a probe that ends before `5` leaves the client on polling. */
  private async socketGone(ws: WebSocket): Promise<void> {
    const attachment = ws.deserializeAttachment() as SocketAttachment | null
    if (attachment?.role === 'main') await this.end({ notify: false })
    else this.polling.abandonUpgrade()
  }

  /**
   * The heartbeat and the deadlines: closes a connection that has not authenticated in time (with `41`, so the
   * client does not reconnect) or did not answer the last ping; otherwise pings and sleeps until the next one.
   */
  async alarm(): Promise<void> {
    const state = this.load()
    if (!state) return void (await this.ctx.storage.deleteAll())
    const config = this.config
    const now = Date.now()
    if (state.identity === null && now >= state.openedAt + config.liveAuthTimeoutMs) {
      return this.end({ notify: true })
    }
    const heartbeat = this.heartbeat()
    if (heartbeat.pingSentAt !== null && heartbeat.pongAt < heartbeat.pingSentAt) {
      // The client answers a ping within milliseconds; a whole interval without a pong is a dead peer.
      if (now >= heartbeat.pingSentAt + config.livePingTimeoutMs) return this.end({ notify: false })
    }
    if (now >= (heartbeat.pingSentAt ?? state.openedAt) + config.livePingIntervalMs) {
      this.sendPacket({ type: 'ping' })
      this.setPingSentAt(now)
    }
    await this.scheduleAlarm(state, config)
  }

  private async open(request: Request, sid: string, config: Config): Promise<Response> {
    const now = Date.now()
    const viaWebSocket = request.headers.get('upgrade')?.toLowerCase() === 'websocket'
    const key = await loadServerKey(this.env.SERVER_PRIVATE_KEY)
    const state = newConnectionState(sid, now, viaWebSocket ? 'websocket' : 'polling', {
      address: clientAddress(request),
      network: await networkId(key.networkKey, request.headers.get('cf-connecting-ip')),
    })
    this.save(state)
    await this.scheduleAlarm(state, config)
    const open = openPacket({
      sid,
      upgrades: viaWebSocket ? [] : ['websocket'],
      pingInterval: config.livePingIntervalMs,
      pingTimeout: config.livePingTimeoutMs,
      maxPayload: config.liveMaxFrameBytes,
    })
    if (!viaWebSocket) {
      this.polling.send(open)
      return textResponse(await this.polling.poll(0))
    }
    const [client, server] = Object.values(new WebSocketPair())
    this.ctx.acceptWebSocket(server!)
    server!.serializeAttachment({ role: 'main', pingSentAt: null } satisfies SocketAttachment)
    server!.send(encodeFrame(open))
    return new Response(null, { status: 101, webSocket: client })
  }

  private async poll(): Promise<Response> {
    const state = this.load()
    if (!state && this.saidGoodbye) return textResponse(encodePollingBody([{ type: 'noop' }]))
    if (!state) return engineError(1, 'Session ID unknown')
    if (state.transport !== 'polling') return engineError(3, 'Bad request')
    const config = this.config
    return textResponse(await this.polling.poll(Math.min(MAX_POLL_HOLD_MS, config.livePingIntervalMs)))
  }

  private async post(request: Request, config: Config): Promise<Response> {
    // The body is read (bounded) before any answer: a request answered before its body was consumed
    // leaves the Worker forwarding a stream nobody reads.
    let body: Uint8Array
    try {
      body = await readLimited(request, config.liveMaxFrameBytes)
    } catch (error) {
      // Engine.IO's answer to a payload over maxPayload: 413, and the session is over.
      if (this.load()) await this.end({ notify: false })
      const tooLarge = error instanceof RelayError && error.code === 'ERR_REQUEST_TOO_LARGE'
      return new Response(tooLarge ? 'payload too large' : 'bad request', { status: tooLarge ? 413 : 400 })
    }
    const packets = decodePollingBody(new TextDecoder().decode(body))
    const state = this.load()
    if (!state && this.saidGoodbye) {
      if (packets.some((p) => p.type === 'close')) this.saidGoodbye = false
      return textResponse('ok')
    }
    if (!state) return engineError(1, 'Session ID unknown')
    if (state.transport !== 'polling') return engineError(3, 'Bad request')
    for (const packet of packets) await this.onPacket(packet)
    return textResponse('ok')
  }

  private async upgrade(): Promise<Response> {
    const state = this.load()
    if (!state) return engineError(1, 'Session ID unknown')
    if (state.transport !== 'polling') return engineError(3, 'Bad request')
    const [client, server] = Object.values(new WebSocketPair())
    this.ctx.acceptWebSocket(server!)
    server!.serializeAttachment({
      role: 'probe',
      pingSentAt: this.pollingPingSentAt,
    } satisfies SocketAttachment)
    return new Response(null, { status: 101, webSocket: client })
  }

  /** The upgrade (docs/live-protocol.md §1.3): `2probe` → `3probe` and end the held GET; `5` → WebSocket from now on. */
  private probe(ws: WebSocket, message: string): void {
    const state = this.load()
    if (!state) return ws.close(1000)
    if (message === '2probe') {
      ws.send('3probe')
      this.polling.beginUpgrade()
    } else if (message === '5') {
      state.transport = 'websocket'
      this.save(state)
      ws.serializeAttachment({ role: 'main', pingSentAt: this.pollingPingSentAt } satisfies SocketAttachment)
      this.polling.release()
      for (const packet of this.polling.takeQueued()) ws.send(encodeFrame(packet))
    }
  }

  /** One Engine.IO packet from the client, in arrival order. */
  private onPacket(packet: EnginePacket): Promise<void> {
    switch (packet.type) {
      case 'pong':
        this.pollingPongAt = Date.now()
        return Promise.resolve()
      case 'close':
        return this.end({ notify: false })
      case 'message':
        if (typeof packet.data !== 'string') return Promise.resolve()
        return this.inOrder(() => this.onSocketPacket(packet.data as string))
    }
    return Promise.resolve()
  }

  private inOrder(work: () => Promise<void>): Promise<void> {
    const run = this.inbound.then(work)
    this.inbound = run.catch((error) => console.error('live: frame handling failed:', error))
    return run.catch(() => undefined)
  }

  private async onSocketPacket(text: string): Promise<void> {
    const state = this.load()
    const packet = decodeSocketPacket(text)
    if (!state || !packet) return
    if (packet.type === PacketType.CONNECT) {
      if (packet.nsp !== '/')
        return this.sendPacket({ type: 'message', data: connectErrorPacket('Invalid namespace') })
      state.socketSid ??= toHex(randomBytes(10))
      this.save(state)
      return this.sendPacket({ type: 'message', data: connectPacket(state.socketSid) })
    }
    if (packet.type === PacketType.DISCONNECT) {
      this.saidGoodbye = this.mainSocket() === undefined
      return this.end({ notify: false })
    }
    if (packet.type !== PacketType.EVENT || state.socketSid === null) return
    const [name, message] = Array.isArray(packet.data) ? packet.data : []
    if (name !== AUTH_EVENT || !isJsonObject(message)) return
    const key = await loadServerKey(this.env.SERVER_PRIVATE_KEY)
    if (message.messageType === 'initialRequest') return this.openSession(key, state, message)
    const opened = await openGeneralMessage(key, state.sessions, message)
    // Unverifiable or replayed: dropped without an answer (an answer could not be signed for anyone).
    if (!opened || !this.nonces.claim(opened.nonce)) return
    const config = this.config
    if (this.nonces.size > config.maxRequestsPerSession) return this.end({ notify: true })
    const identity = opened.session.clientKey
    const limit = config.requestRateLimit
    // Every verified event counts against its identity's one budget, as an HTTP request does.
    const retryAfterSeconds =
      limit === 0
        ? null
        : await this.requests.admit(identity, Date.now(), leaseSize(limit), (wanted) =>
            mailbox(this.env, identity).leaseRequests(wanted),
          )
    await handleEvent(
      {
        env: this.env,
        state,
        session: opened.session,
        save: () => this.save(state),
        reply: (event) => this.emit(opened.session, event),
        closeConnections: (sids) => {
          for (const sid of sids)
            this.ctx.waitUntil(
              liveConnection(this.env, sid)
                .evict()
                .catch(() => undefined),
            )
        },
        background: (work) => this.ctx.waitUntil(work),
        retryAfterSeconds,
        network: state.network ?? (await networkId(key.networkKey, null)),
        config,
        db: (this.dbHandle ??= createDb(this.env.DB)),
        serverKey: key,
      },
      opened.event,
    )
  }

  private async openSession(key: ServerKey, state: ConnectionState, message: Record<string, unknown>) {
    if (message.version !== AUTH_VERSION) return
    // A handshake inside the socket is a handshake: the per-IP budget HTTP handshakes spend. Over it, the
    // connection ends (41: the client does not reconnect) and nothing is signed.
    try {
      await limitHandshakesFrom(this.env, this.config.handshakeRateLimit, state.clientAddress)
    } catch (error) {
      console.warn('live: handshake refused, closing the connection:', String(error))
      return this.end({ notify: true })
    }
    const opening = await answerInitialRequest(key, message).catch(() => null)
    if (!opening) return
    const { identityKey: clientKey, clientNonce, serverNonce } = opening
    addSession(state, { clientKey, clientNonce, serverNonce })
    this.save(state)
    this.sendPacket({ type: 'message', data: authMessagePacket(opening.response) })
  }

  private async emit(session: SocketSession, event: LiveEvent): Promise<void> {
    const key = await loadServerKey(this.env.SERVER_PRIVATE_KEY)
    const message = await sealGeneralMessage(key, session, event)
    this.sendPacket({ type: 'message', data: authMessagePacket(message) })
  }

  private sendPacket(packet: EnginePacket): void {
    const ws = this.mainSocket()
    if (!ws) return this.polling.send(packet)
    try {
      ws.send(encodeFrame(packet))
    } catch {
      // closing: the message is in D1 regardless
    }
  }

  /**
   * Ends the connection: `41` first when the server is the one ending it (the client then does not
   * reconnect, docs/live-protocol.md §2.2), out of its identity's registry, and all of its storage deleted.
   */
  private async end(options: { notify: boolean; closeCode?: number }): Promise<void> {
    const state = this.load()
    if (options.notify) this.sendPacket({ type: 'message', data: DISCONNECT_PACKET })
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.close(options.closeCode ?? 1000, 'connection closed')
      } catch {
        // already closed
      }
    }
    // A held GET ends: with Engine.IO's close when the server ends it, with a noop when the client did.
    if (options.notify) this.polling.send({ type: 'close' })
    else this.polling.release()
    this.state = null
    this.nonces.forget()
    await this.ctx.storage.deleteAlarm()
    await this.ctx.storage.deleteAll()
    if (state?.identity)
      await mailbox(this.env, state.identity)
        .detachLive(state.identity, state.sid)
        .catch(() => undefined)
  }

  private async scheduleAlarm(state: ConnectionState, config: Config): Promise<void> {
    const heartbeat = this.heartbeat()
    let next = (heartbeat.pingSentAt ?? state.openedAt) + config.livePingIntervalMs
    if (state.identity === null) next = Math.min(next, state.openedAt + config.liveAuthTimeoutMs)
    await this.ctx.storage.setAlarm(next)
  }

  private heartbeat(): { pingSentAt: number | null; pongAt: number } {
    const ws = this.mainSocket()
    if (!ws) return { pingSentAt: this.pollingPingSentAt, pongAt: this.pollingPongAt }
    const attachment = ws.deserializeAttachment() as SocketAttachment
    const pongAt = this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0
    return { pingSentAt: attachment.pingSentAt, pongAt }
  }

  private setPingSentAt(at: number): void {
    this.pollingPingSentAt = at
    const ws = this.mainSocket()
    if (ws) ws.serializeAttachment({ role: 'main', pingSentAt: at } satisfies SocketAttachment)
  }

  private mainSocket(): WebSocket | undefined {
    return this.ctx
      .getWebSockets()
      .find((ws) => (ws.deserializeAttachment() as SocketAttachment | null)?.role === 'main')
  }

  private load(): ConnectionState | null {
    if (this.state === undefined) this.state = this.ctx.storage.kv.get<ConnectionState>(STATE_KEY) ?? null
    return this.state
  }

  private save(state: ConnectionState): void {
    this.state = state
    this.ctx.storage.kv.put(STATE_KEY, state)
  }
}

function textResponse(body: string): Response {
  return new Response(body, { headers: { 'content-type': 'text/plain; charset=UTF-8' } })
}
