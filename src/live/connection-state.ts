import type { SocketSession } from '../brc103/general-message'

/**
 * What one live connection must remember across hibernation (kept in its object's storage, written only
 * when it changes: the handshake, `connect`, `authenticated`, the upgrade; never per push).
 */
export interface ConnectionState {
  /** The Engine.IO sid, which is also this object's name. */
  sid: string
  openedAt: number
  transport: 'polling' | 'websocket'
  /**
   * The client's address as the per-IP handshake limit keys it (`clientKey`: IPv4, or the IPv6 /64), from
   * the request that opened the connection; null without one. Its BRC-103 handshakes are counted against it.
   */
  clientAddress: string | null
  /**
   * The client's network as the send quotas count it (a keyed hash, src/http/client-network.ts), from the
   * same request: its socket sends count against it as its HTTP sends do. Absent in states saved before it
   * existed (those connections count as the loopback network until they reconnect).
   */
  network?: string
  /** The socket.io sid, once the client's CONNECT arrived. */
  socketSid: string | null
  /** BRC-103 sessions opened on this connection, oldest first (a client retries while it has none). */
  sessions: SocketSession[]
  /** The identity proven by a session and confirmed by `authenticated`; fixed from then on. */
  identity: string | null
  /** The server nonce of the session that last confirmed `identity`: pushes are signed for it. */
  pushSession: string | null
}

/** Sessions kept per connection: the client opens one, and another per retry while it has none. */
export const MAX_SESSIONS_PER_CONNECTION = 4

export function newConnectionState(
  sid: string,
  now: number,
  transport: ConnectionState['transport'],
  client: { address: string | null; network: string },
) {
  return {
    sid,
    openedAt: now,
    transport,
    clientAddress: client.address,
    network: client.network,
    socketSid: null,
    sessions: [],
    identity: null,
    pushSession: null,
  } satisfies ConnectionState as ConnectionState
}

/** Adds a session, dropping the oldest ones beyond the cap (never the one pushes are signed for). */
export function addSession(state: ConnectionState, session: SocketSession): void {
  state.sessions.push(session)
  while (state.sessions.length > MAX_SESSIONS_PER_CONNECTION) {
    const victim = state.sessions.findIndex((s) => s.serverNonce !== state.pushSession)
    state.sessions.splice(victim, 1)
  }
}

/**
 * The nonces of general messages this connection accepted: a frame whose nonce is here is a replay and
 * is dropped. One row per inbound application event; all of it goes when the connection closes.
 */
export class SeenNonces {
  private count: number | undefined

  constructor(private readonly sql: SqlStorage) {}

  /** Records `nonce`; false if it was already there. */
  claim(nonce: string): boolean {
    const before = this.size
    const cursor = this.sql.exec('INSERT INTO seen_nonces (nonce) VALUES (?) ON CONFLICT DO NOTHING', nonce)
    cursor.toArray()
    if (cursor.rowsWritten === 0) return false
    this.count = before + 1
    return true
  }

  /** How many frames this connection has accepted. */
  get size(): number {
    if (this.count === undefined) {
      this.sql.exec('CREATE TABLE IF NOT EXISTS seen_nonces (nonce TEXT PRIMARY KEY) WITHOUT ROWID')
      this.count = this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM seen_nonces').one().n
    }
    return this.count
  }

  /** After the owner deleted all storage. */
  forget(): void {
    this.count = undefined
  }
}
