/**
 * One identity's BRC-104 sessions and consumed request nonces, in its Mailbox Durable Object's own
 * SQLite storage. Every method is synchronous over `SqlStorage`, so each call is atomic in the DO's
 * single thread: a nonce claim cannot race another claim of the same nonce.
 *
 * Two pools, so that unauthenticated handshakes cannot push anyone out (docs/contract.md, "Unauthenticated
 * traffic cannot lock anyone out"):
 * - **used** sessions (at least one signed request claimed): at most `maxSessions`. Only a signed first
 *   request of this identity can displace one (least recently used first), never a handshake.
 * - **unused** sessions (opened by a handshake, which anyone can send naming any key): their own small
 *   cap `maxUnusedSessions`. Beyond it a handshake displaces the oldest unused sessions, but never one
 *   younger than `unusedGraceMs`: a session just opened is never evicted, and no handshake is ever
 *   refused. A flood therefore costs at most (handshakes for this key within the grace) rows, each gone
 *   within `unusedTtlMs`.
 *
 * Ending a session deletes its row at once (O(1)); its replay records, up to `maxRequestsPerSession`
 * of them, are deleted later in bounded chunks by the Mailbox's alarm (`cleanUp`), never inside a request.
 * Without its row the session is not found, so the records waiting for the alarm protect nothing.
 *
 * The schema is created by the first write, not by construction, so a Mailbox that is only asked
 * (an unknown session, an acknowledgement) leaves no storage behind.
 *
 * Time is an argument (`now`, ms since the epoch) so expiry is testable without waiting.
 */

export interface SessionLimits {
  idleTtlMs: number
  maxAgeMs: number
  /** Used sessions kept per identity. */
  maxSessions: number
  maxRequestsPerSession: number
  /** Unused sessions kept per identity beyond those still in their grace period. */
  maxUnusedSessions: number
  /** An unused session younger than this is never evicted. */
  unusedGraceMs: number
  /** An unused session expires this long after its handshake (AuthFetch uses it at once). */
  unusedTtlMs: number
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
  /** Authenticated and claimed, but over the identity's request rate: answer 429, signed, run nothing. */
  | { ok: false; reason: 'rate-limited'; clientNonce: string; retryAfterSeconds: number; limit: number }

/** How much one cleanup pass may do (alarm work stays bounded however much is waiting). */
export interface CleanupBudget {
  sessions: number
  replayRecords: number
}

/** What one cleanup pass did, and whether work is left for another pass. */
export interface CleanupReport {
  sessionsRetired: number
  replayRecordsDeleted: number
  moreWork: boolean
}

type SessionRow = {
  server_nonce: string
  identity_key: string
  client_nonce: string
  created_at: number
  last_used_at: number
  request_count: number
}

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS auth_sessions (
    server_nonce TEXT PRIMARY KEY,
    identity_key TEXT NOT NULL,
    client_nonce TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL,
    request_count INTEGER NOT NULL DEFAULT 0
  )`,
  // Finds the unused pool (request_count = 0) oldest first without a scan, even during a flood. Partial, so
  // a used session's bookkeeping never touches it (an index entry written is a billed row written).
  'DROP INDEX IF EXISTS auth_sessions_by_use',
  'CREATE INDEX IF NOT EXISTS auth_sessions_unused ON auth_sessions (created_at) WHERE request_count = 0',
  // Replay records live as long as their session (docs/protocol.md §6), then wait here for the alarm.
  `CREATE TABLE IF NOT EXISTS auth_claimed_nonces (
    server_nonce TEXT NOT NULL,
    request_nonce TEXT NOT NULL,
    PRIMARY KEY (server_nonce, request_nonce)
  ) WITHOUT ROWID`,
  // Sessions that ended with replay records still to delete (by the alarm, in chunks).
  'CREATE TABLE IF NOT EXISTS auth_retired_sessions (server_nonce TEXT PRIMARY KEY) WITHOUT ROWID',
]

export class SessionStore {
  /** Whether the tables exist (reads of a store that has none find nothing and write nothing). */
  private ready: boolean
  private schemaCreated = false
  private retiredFlag = false
  /**
   * Requests claimed in a used session since its row was last written (see `claim`), by server nonce. Lost
   * if the object is evicted: a session's count may then run short by what one touch step admits.
   */
  private readonly unwritten = new Map<string, number>()

  constructor(private readonly sql: SqlStorage) {
    this.ready = hasTable(sql, 'auth_sessions')
    // A store written by an older version gains the newer tables and index on first contact.
    if (this.ready) this.createSchema()
  }

  /**
   * Records a session opened by a handshake and evicts unused sessions beyond `maxUnusedSessions`,
   * oldest first, sparing any within their grace period (the new one always is). Never touches a used
   * session. Returns how many were evicted.
   */
  open(
    session: { serverNonce: string; identityKey: string; clientNonce: string },
    now: number,
    limits: SessionLimits,
  ): number {
    this.createSchema()
    this.sql.exec(
      'INSERT INTO auth_sessions (server_nonce, identity_key, client_nonce, created_at, last_used_at) VALUES (?, ?, ?, ?, ?)',
      session.serverNonce,
      session.identityKey,
      session.clientNonce,
      now,
      now,
    )
    const surplus = this.countUnused() - limits.maxUnusedSessions
    if (surplus <= 0) return 0
    const victims = this.sql
      .exec<{ server_nonce: string }>(
        `SELECT server_nonce FROM auth_sessions WHERE request_count = 0 AND created_at <= ?
         ORDER BY created_at, server_nonce LIMIT ?`,
        now - limits.unusedGraceMs,
        surplus,
      )
      .toArray()
    for (const { server_nonce } of victims) this.retire(server_nonce)
    return victims.length
  }

  /**
   * Claims `requestNonce` in session `serverNonce` for `identityKey`, refreshing the idle timer.
   * Expired, exhausted or foreign sessions are "not found", which makes the client re-handshake.
   * A session's first request moves it to the used pool, displacing the least recently used used
   * session beyond `maxSessions` (its replay records are left to the alarm).
   *
   * The replay record is the one row every request must write. The session's own row (last use, count) is
   * written on its first request and then only when that moves its idle expiry by a step (a sixteenth of
   * the idle TTL) or reaches the request cap; in between the count is kept in memory. So a busy session
   * costs one row written per request instead of three, and may expire up to one step (3.75 min of 60)
   * before a strictly sliding timer would; the client then simply handshakes again.
   */
  claim(
    serverNonce: string,
    identityKey: string,
    requestNonce: string,
    now: number,
    limits: SessionLimits,
  ): ClaimResult {
    if (!this.ready) return { ok: false, reason: 'session-not-found' }
    const row = this.row(serverNonce)
    if (!row || row.identity_key !== identityKey) return { ok: false, reason: 'session-not-found' }
    const claimed = row.request_count + (this.unwritten.get(serverNonce) ?? 0)
    if (isExpired(row, now, limits) || claimed >= limits.maxRequestsPerSession) {
      this.retire(serverNonce)
      return { ok: false, reason: 'session-not-found' }
    }
    const inserted = this.sql.exec(
      'INSERT OR IGNORE INTO auth_claimed_nonces (server_nonce, request_nonce) VALUES (?, ?)',
      serverNonce,
      requestNonce,
    ).rowsWritten
    if (inserted === 0) return { ok: false, reason: 'replayed' }
    const count = claimed + 1
    const firstUse = row.request_count === 0
    if (firstUse || now - row.last_used_at >= touchStep(limits) || count >= limits.maxRequestsPerSession) {
      this.sql.exec(
        'UPDATE auth_sessions SET last_used_at = ?, request_count = ? WHERE server_nonce = ?',
        now,
        count,
        serverNonce,
      )
      this.unwritten.delete(serverNonce)
    } else {
      this.unwritten.set(serverNonce, count - row.request_count)
    }
    if (firstUse) this.evictUsedBeyond(limits.maxSessions, serverNonce)
    return { ok: true, clientNonce: row.client_nonce }
  }

  /**
   * One bounded cleanup pass: ends up to `budget.sessions` expired sessions, then deletes up to
   * `budget.replayRecords` replay records of ended sessions. `moreWork` says another pass is needed.
   */
  cleanUp(now: number, limits: SessionLimits, budget: CleanupBudget): CleanupReport {
    if (!this.ready) return { sessionsRetired: 0, replayRecordsDeleted: 0, moreWork: false }
    const expired = this.sql
      .exec<{ server_nonce: string }>(
        `SELECT server_nonce FROM auth_sessions
         WHERE last_used_at <= ? OR created_at <= ? OR (request_count = 0 AND created_at <= ?) LIMIT ?`,
        now - limits.idleTtlMs,
        now - limits.maxAgeMs,
        now - unusedTtl(limits),
        budget.sessions + 1,
      )
      .toArray()
    const retiring = expired.slice(0, budget.sessions)
    for (const { server_nonce } of retiring) this.retire(server_nonce)

    let deleted = 0
    const retired = this.sql
      .exec<{
        server_nonce: string
      }>('SELECT server_nonce FROM auth_retired_sessions LIMIT ?', budget.sessions)
      .toArray()
    for (const { server_nonce } of retired) {
      const want = budget.replayRecords - deleted
      if (want <= 0) break
      const n = this.sql.exec(
        `DELETE FROM auth_claimed_nonces WHERE server_nonce = ? AND request_nonce IN
         (SELECT request_nonce FROM auth_claimed_nonces WHERE server_nonce = ? LIMIT ?)`,
        server_nonce,
        server_nonce,
        want,
      ).rowsWritten
      deleted += n
      if (n < want) this.sql.exec('DELETE FROM auth_retired_sessions WHERE server_nonce = ?', server_nonce)
    }
    const moreWork = expired.length > retiring.length || this.countRetired() > 0
    // What is left is reported by moreWork; the flag only tells requests to arm a pass.
    this.retiredFlag = false
    return { sessionsRetired: retiring.length, replayRecordsDeleted: deleted, moreWork }
  }

  /** When the next live session expires (ms since the epoch), or null when none is left. */
  nextExpiry(limits: SessionLimits): number | null {
    if (!this.ready) return null
    const row = this.sql
      .exec<{ at: number | null }>(
        `SELECT MIN(CASE WHEN request_count = 0 THEN MIN(created_at + ?, last_used_at + ?, created_at + ?)
                    ELSE MIN(last_used_at + ?, created_at + ?) END) AS at FROM auth_sessions`,
        unusedTtl(limits),
        limits.idleTtlMs,
        limits.maxAgeMs,
        limits.idleTtlMs,
        limits.maxAgeMs,
      )
      .one()
    return row.at
  }

  /** Whether a used session ended since the last cleanup pass (so its replay records are waiting). */
  get retiredSinceCleanup(): boolean {
    return this.retiredFlag
  }

  /** True when no session and no replay record is left (the Mailbox may then drop its storage). */
  isEmpty(): boolean {
    if (!this.ready) return true
    return (
      this.count() === 0 &&
      this.countRetired() === 0 &&
      this.sql.exec<{ n: number }>('SELECT EXISTS (SELECT 1 FROM auth_claimed_nonces) AS n').one().n === 0
    )
  }

  /** After the owner deleted all storage: the next write creates the schema again. */
  forgetSchema(): void {
    this.ready = false
    this.schemaCreated = false
    this.unwritten.clear()
  }

  /** One session, or null. */
  get(serverNonce: string): SessionRecord | null {
    if (!this.ready) return null
    const row = this.row(serverNonce)
    return row ? this.record(row) : null
  }

  /** All sessions, oldest first. */
  list(): SessionRecord[] {
    if (!this.ready) return []
    return this.sql
      .exec<SessionRow>('SELECT * FROM auth_sessions ORDER BY created_at, server_nonce')
      .toArray()
      .map((row) => this.record(row))
  }

  count(): number {
    if (!this.ready) return 0
    return this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM auth_sessions').one().n
  }

  /** Replay records still stored, of live and ended sessions. */
  countReplayRecords(): number {
    if (!this.ready) return 0
    return this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM auth_claimed_nonces').one().n
  }

  /**
   * Ends a session now (its row goes at once, so it is no longer found); its replay records are left
   * for the next cleanup pass.
   */
  retire(serverNonce: string): void {
    this.unwritten.delete(serverNonce)
    if (!this.ready) return
    const used = this.sql
      .exec<{
        n: number
      }>('DELETE FROM auth_sessions WHERE server_nonce = ? RETURNING request_count AS n', serverNonce)
      .toArray()[0]
    // A session that never claimed a nonce has no replay records to wait for.
    if (used && used.n > 0) {
      this.sql.exec('INSERT OR IGNORE INTO auth_retired_sessions (server_nonce) VALUES (?)', serverNonce)
      this.retiredFlag = true
    }
  }

  private evictUsedBeyond(maxSessions: number, keep: string): void {
    const surplus =
      this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM auth_sessions WHERE request_count > 0').one()
        .n - maxSessions
    if (surplus <= 0) return
    const victims = this.sql
      .exec<{ server_nonce: string }>(
        `SELECT server_nonce FROM auth_sessions WHERE request_count > 0 AND server_nonce != ?
         ORDER BY last_used_at, created_at, server_nonce LIMIT ?`,
        keep,
        surplus,
      )
      .toArray()
    for (const { server_nonce } of victims) this.retire(server_nonce)
  }

  /** A session as stored, with the requests claimed since its row was last written. */
  private record(row: SessionRow): SessionRecord {
    const record = toRecord(row)
    record.requestCount += this.unwritten.get(row.server_nonce) ?? 0
    return record
  }

  private row(serverNonce: string): SessionRow | undefined {
    return this.sql
      .exec<SessionRow>('SELECT * FROM auth_sessions WHERE server_nonce = ?', serverNonce)
      .toArray()[0]
  }

  private countUnused(): number {
    return this.sql
      .exec<{ n: number }>('SELECT COUNT(*) AS n FROM auth_sessions WHERE request_count = 0')
      .one().n
  }

  private countRetired(): number {
    return this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM auth_retired_sessions').one().n
  }

  private createSchema(): void {
    if (this.schemaCreated) return
    for (const statement of SCHEMA) this.sql.exec(statement)
    this.ready = true
    this.schemaCreated = true
  }
}

/** Whether this object's SQLite has table `name` (a read: asking creates nothing). */
export function hasTable(sql: SqlStorage, name: string): boolean {
  return (
    sql
      .exec<{ n: number }>("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?", name)
      .one().n > 0
  )
}

/** How far a session's idle expiry may lag its last request before its row is written again. */
function touchStep(limits: SessionLimits): number {
  return limits.idleTtlMs / 16
}

/** An unused session never outlives the idle expiry either. */
function unusedTtl(limits: SessionLimits): number {
  return Math.min(limits.unusedTtlMs, limits.idleTtlMs)
}

function isExpired(row: SessionRow, now: number, limits: SessionLimits): boolean {
  return (
    now - row.last_used_at >= limits.idleTtlMs ||
    now - row.created_at >= limits.maxAgeMs ||
    (row.request_count === 0 && now - row.created_at >= unusedTtl(limits))
  )
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
