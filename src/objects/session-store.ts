/**
 * One identity's BRC-104 sessions and consumed request nonces, in its Mailbox Durable Object's own
 * SQLite storage. Every method is synchronous over `SqlStorage`, so each call is atomic in the DO's
 * single thread: a nonce claim cannot race another claim of the same nonce.
 *
 * Time is an argument (`now`, ms since the epoch) so expiry is testable without waiting.
 */

export interface SessionLimits {
  idleTtlMs: number
  maxAgeMs: number
  maxSessions: number
  maxRequestsPerSession: number
}

export interface SessionRecord {
  serverNonce: string
  identityKey: string
  clientNonce: string
  createdAt: number
  lastUsedAt: number
  requestCount: number
}

/** The outcome of claiming a request nonce: the session's client nonce, or why not. */
export type ClaimResult =
  | { ok: true; clientNonce: string }
  | { ok: false; reason: 'session-not-found' | 'replayed' }

type SessionRow = {
  server_nonce: string
  identity_key: string
  client_nonce: string
  created_at: number
  last_used_at: number
  request_count: number
}

export class SessionStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS auth_sessions (
      server_nonce TEXT PRIMARY KEY,
      identity_key TEXT NOT NULL,
      client_nonce TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      last_used_at INTEGER NOT NULL,
      request_count INTEGER NOT NULL DEFAULT 0
    )`)
    // Replay records live exactly as long as their session (protocol.md §6).
    sql.exec(`CREATE TABLE IF NOT EXISTS auth_claimed_nonces (
      server_nonce TEXT NOT NULL,
      request_nonce TEXT NOT NULL,
      PRIMARY KEY (server_nonce, request_nonce)
    ) WITHOUT ROWID`)
  }

  /**
   * Records a session opened by a handshake, evicting the least useful other sessions beyond the
   * limit: never-used ones first (anyone can open those, since the handshake is unsigned), then the
   * least recently used. The new session itself is never the victim, or a client could loop between
   * handshake and eviction. Returns how many were evicted.
   */
  open(
    session: { serverNonce: string; identityKey: string; clientNonce: string },
    now: number,
    limits: SessionLimits,
  ): number {
    this.sql.exec(
      'INSERT INTO auth_sessions (server_nonce, identity_key, client_nonce, created_at, last_used_at) VALUES (?, ?, ?, ?, ?)',
      session.serverNonce,
      session.identityKey,
      session.clientNonce,
      now,
      now,
    )
    const surplus = this.count() - limits.maxSessions
    if (surplus <= 0) return 0
    const victims = this.sql
      .exec<{ server_nonce: string }>(
        `SELECT server_nonce FROM auth_sessions WHERE server_nonce != ?
         ORDER BY request_count > 0, last_used_at, created_at LIMIT ?`,
        session.serverNonce,
        surplus,
      )
      .toArray()
    for (const { server_nonce } of victims) this.delete(server_nonce)
    return victims.length
  }

  /**
   * Claims `requestNonce` in session `serverNonce` for `identityKey`, refreshing the idle timer.
   * Expired, exhausted or foreign sessions are "not found", which makes the client re-handshake.
   */
  claim(
    serverNonce: string,
    identityKey: string,
    requestNonce: string,
    now: number,
    limits: SessionLimits,
  ): ClaimResult {
    const row = this.sql
      .exec<SessionRow>('SELECT * FROM auth_sessions WHERE server_nonce = ?', serverNonce)
      .toArray()[0]
    if (!row || row.identity_key !== identityKey) return { ok: false, reason: 'session-not-found' }
    if (isExpired(row, now, limits) || row.request_count >= limits.maxRequestsPerSession) {
      this.delete(serverNonce)
      return { ok: false, reason: 'session-not-found' }
    }
    const inserted = this.sql.exec(
      'INSERT OR IGNORE INTO auth_claimed_nonces (server_nonce, request_nonce) VALUES (?, ?)',
      serverNonce,
      requestNonce,
    ).rowsWritten
    if (inserted === 0) return { ok: false, reason: 'replayed' }
    this.sql.exec(
      'UPDATE auth_sessions SET last_used_at = ?, request_count = request_count + 1 WHERE server_nonce = ?',
      now,
      serverNonce,
    )
    return { ok: true, clientNonce: row.client_nonce }
  }

  /** Deletes every expired session with its nonces; returns how many sessions went. */
  purgeExpired(now: number, limits: SessionLimits): number {
    const expired = this.sql
      .exec<{
        server_nonce: string
      }>(
        'SELECT server_nonce FROM auth_sessions WHERE last_used_at <= ? OR created_at <= ?',
        now - limits.idleTtlMs,
        now - limits.maxAgeMs,
      )
      .toArray()
    for (const { server_nonce } of expired) this.delete(server_nonce)
    return expired.length
  }

  /** When the next live session expires (ms since the epoch), or null when none is left. */
  nextExpiry(limits: SessionLimits): number | null {
    const row = this.sql
      .exec<{
        at: number | null
      }>(
        'SELECT MIN(MIN(last_used_at + ?, created_at + ?)) AS at FROM auth_sessions',
        limits.idleTtlMs,
        limits.maxAgeMs,
      )
      .one()
    return row.at
  }

  /** One session, or null. */
  get(serverNonce: string): SessionRecord | null {
    const row = this.sql
      .exec<SessionRow>('SELECT * FROM auth_sessions WHERE server_nonce = ?', serverNonce)
      .toArray()[0]
    return row ? toRecord(row) : null
  }

  /** All sessions, oldest first. */
  list(): SessionRecord[] {
    return this.sql
      .exec<SessionRow>('SELECT * FROM auth_sessions ORDER BY created_at, server_nonce')
      .toArray()
      .map(toRecord)
  }

  count(): number {
    return this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM auth_sessions').one().n
  }

  /** Deletes a session and its replay records. */
  delete(serverNonce: string): void {
    this.sql.exec('DELETE FROM auth_claimed_nonces WHERE server_nonce = ?', serverNonce)
    this.sql.exec('DELETE FROM auth_sessions WHERE server_nonce = ?', serverNonce)
  }
}

function isExpired(row: SessionRow, now: number, limits: SessionLimits): boolean {
  return now - row.last_used_at >= limits.idleTtlMs || now - row.created_at >= limits.maxAgeMs
}

function toRecord(row: SessionRow): SessionRecord {
  return {
    serverNonce: row.server_nonce,
    identityKey: row.identity_key,
    clientNonce: row.client_nonce,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    requestCount: row.request_count,
  }
}
