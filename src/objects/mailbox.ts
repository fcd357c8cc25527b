import { DurableObject } from 'cloudflare:workers'
import { type Config, readConfig } from '../config'
import { createDb, type Db } from '../db/client'
import { markOffline, markOnline } from '../db/live-presence'
import { deleteAcknowledged } from '../db/messages'
import type { LivePush } from '../live/push'
import type { Env } from '../env'
import { liveConnection } from './stubs'
import { type JoinResult, LiveRegistry } from './live-registry'
import { type RateLease, RequestRateWindow } from './request-rate'
import { type ClaimResult, type CleanupBudget, type SessionLimits, SessionStore } from './session-store'

/**
 * One per identity key: that identity's BRC-104 sessions and consumed request nonces, the place
 * where its message acknowledgements are serialized, and the registry of its live connections and
 * their rooms (where pushes for it go). Called through typed RPC methods only.
 */
export class Mailbox extends DurableObject<Env> {
  /** Protected for the bench's metered subclass, which ends sessions as their expiry does. */
  protected readonly sessions: SessionStore
  private readonly live: LiveRegistry
  /** This identity's authenticated requests in the current minute (memory only, see RequestRateWindow). */
  private readonly requestRate = new RequestRateWindow()
  /** The tail of this identity's acknowledgement queue: each one starts when the previous has settled. */
  private acknowledging: Promise<unknown> = Promise.resolve()
  private acknowledgementsInFlight = 0
  /** The tail of this identity's presence writes (see `syncPresence`), and the last state written. */
  private presence: Promise<void> = Promise.resolve()
  private presenceWritten: boolean | undefined

  /** Read once per object: its `env` is fixed for its lifetime. */
  private configRead: Config | undefined
  private get config(): Config {
    return (this.configRead ??= readConfig(this.env))
  }
  private dbHandle: Db | undefined
  private get db(): Db {
    return (this.dbHandle ??= createDb(this.env.DB))
  }

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    this.sessions = new SessionStore(ctx.storage.sql)
    this.live = new LiveRegistry(ctx.storage.sql)
  }

  /**
   * Stores a session opened by a handshake (before the handshake is answered) and schedules its cleanup.
   * The identity is passed explicitly: a DO cannot read back the name it was addressed by.
   */
  async openSession(identityKey: string, serverNonce: string, clientNonce: string): Promise<void> {
    const limits = this.sessionLimits()
    const now = Date.now()
    this.sessions.open({ serverNonce, identityKey, clientNonce }, now, limits)
    // The alarm already covers every other session; this one expires at the latest at its unused TTL.
    await this.armAlarmBy(now + Math.min(limits.unusedTtlMs, limits.idleTtlMs))
  }

  /**
   * Claims a request nonce in a session after its signature verified, before any handler runs, and in
   * the same call counts the request against this identity's REQUEST_RATE_LIMIT (in memory: no extra
   * round trip, no storage write for the count). Returns the session's client nonce (needed to sign
   * the response), or why the request must be refused; a rate-limited request is claimed (it cannot be
   * replayed later) and carries the client nonce, so its 429 can be signed.
   */
  async claimRequest(identityKey: string, serverNonce: string, requestNonce: string): Promise<ClaimResult> {
    const config = this.config
    const limits = sessionLimits(config)
    const now = Date.now()
    const claimed = this.sessions.claim(serverNonce, identityKey, requestNonce, now, limits)
    // A session that ended here left replay records behind: the alarm deletes them, not this request.
    if (this.sessions.retiredSinceCleanup) await this.scheduleCleanup(limits, now)
    if (!claimed.ok) return claimed
    const limit = config.requestRateLimit
    const retryAfterSeconds = this.requestRate.take(now, limit)
    if (retryAfterSeconds === null) return claimed
    return { ok: false, reason: 'rate-limited', clientNonce: claimed.clientNonce, retryAfterSeconds, limit }
  }

  /**
   * Live delivery: hands one of this identity's connections up to `wanted` requests of its REQUEST_RATE_LIMIT
   * window (see RequestRateWindow.lease), so its socket events and its HTTP requests share one budget.
   */
  async leaseRequests(wanted: number): Promise<RateLease> {
    const limit = this.config.requestRateLimit
    return this.requestRate.lease(Date.now(), limit, Math.min(Math.max(1, wanted), MAX_LEASE))
  }

  /**
   * Deletes `recipient`'s messages with these ids (this DO's own identity, passed explicitly) and returns how
   * many were waiting. Runs one at a time per identity, in arrival order. What D1 alone already gives: each
   * `DELETE … RETURNING` is atomic, so two devices acknowledging the same ids at once never both count one
   * (test/routes/concurrency.test.ts). What the queue adds: the acknowledgement that reached this identity
   * first is the one answered with the count (D1 could run two concurrent statements in either order), and
   * the alarm can see that none is in flight before it drops this object's storage. No test can tell the
   * queue from D1 alone by a wrong count; it is kept as the design's one serialization point per identity.
   * @throws when D1 fails (logged here, with its cause; the route does not log it again); nothing is
   *   reported as acknowledged then.
   */
  async acknowledge(recipient: string, messageIds: string[]): Promise<number> {
    this.acknowledgementsInFlight++
    const run = this.acknowledging.then(() => deleteAcknowledged(this.db, recipient, messageIds, Date.now()))
    this.acknowledging = run.catch(() => undefined)
    return run.finally(() => this.acknowledgementsInFlight--)
  }

  /**
   * Live delivery: registers a connection that proved this identity. Returns the connections dropped to
   * stay within LIVE_MAX_CONNECTIONS_PER_IDENTITY (oldest first), for the caller to close.
   */
  async attachLive(identityKey: string, connection: string): Promise<string[]> {
    const evicted = this.live.attach(connection, Date.now(), this.config.liveMaxConnectionsPerIdentity)
    // Before the client hears it is authenticated (and joins a room), so sends from then on push to it.
    await this.syncPresence(identityKey)
    return evicted
  }

  /** Adds one of this identity's boxes to a registered connection's rooms (LIVE_MAX_ROOMS_PER_CONNECTION). */
  async joinLive(connection: string, box: string): Promise<JoinResult> {
    return this.live.join(connection, box, this.config.liveMaxRoomsPerConnection)
  }

  async leaveLive(connection: string, box: string): Promise<void> {
    this.live.leave(connection, box)
  }

  /** Forgets a closed connection; once none is left, the alarm checks whether this object can go. */
  async detachLive(identityKey: string, connection: string): Promise<void> {
    this.live.detach(connection)
    if (this.live.isEmpty()) {
      await this.syncPresence(identityKey)
      await this.armAlarmBy(Date.now() + CLEANUP_PAUSE_MS)
    }
  }

  /**
   * Pushes a committed message to this identity's connections in `box` (each signs it for its own
   * session). A connection whose object no longer holds it is forgotten. Returns how many took it.
   * The identity is passed explicitly: a DO cannot read back the name it was addressed by.
   */
  async pushLive(identityKey: string, box: string, push: LivePush): Promise<number> {
    const connections = this.live.connectionsIn(box)
    const outcomes = await Promise.all(
      connections.map((connection) =>
        liveConnection(this.env, connection)
          .deliver(box, push)
          .catch((error) => {
            console.warn('live push to a connection failed:', String(error))
            return 'failed' as const
          }),
      ),
    )
    outcomes.forEach((outcome, i) => {
      if (outcome === 'gone') this.live.detach(connections[i]!)
    })
    // Sends call only while `live_presence` says connected: with no connection left (or a row a failed
    // write left behind), the row goes.
    if (this.live.isEmpty()) await this.syncPresence(identityKey)
    return outcomes.filter((outcome) => outcome === 'delivered').length
  }

  /**
   * Brings this identity's row in D1's `live_presence` in line with its registry: present while it has a
   * connection. Writes run one after another and each reads the registry when it runs, so an attach and a
   * detach racing each other leave the state of whichever came last. A failed write is logged, not thrown:
   * presence only decides which Mailboxes a send calls to push, and every message is listed either way.
   */
  private syncPresence(identityKey: string): Promise<void> {
    this.presence = this.presence.then(async () => {
      const online = !this.live.isEmpty()
      if (online === this.presenceWritten) return
      const db = this.db
      try {
        await (online ? markOnline(db, identityKey) : markOffline(db, identityKey))
        this.presenceWritten = online
      } catch (error) {
        console.warn(
          'live presence not recorded; pushes may skip this identity until its next connect:',
          String(error),
        )
      }
    })
    return this.presence
  }

  /**
   * Alarm: one bounded cleanup pass (expired sessions, then replay records of ended sessions, by count),
   * re-armed at once while work is left, else for the next expiry. A Mailbox left with nothing at all
   * deletes its storage and its alarm, so identities that only ever handshook leave nothing behind.
   */
  async alarm(): Promise<void> {
    const limits = this.sessionLimits()
    const now = Date.now()
    const report = this.sessions.cleanUp(now, limits, CLEANUP_BUDGET)
    if (report.moreWork) {
      await this.ctx.storage.setAlarm(now + CLEANUP_PAUSE_MS)
      return
    }
    if (this.sessions.isEmpty() && this.acknowledgementsInFlight === 0 && this.storageIsEmpty()) {
      await this.ctx.storage.deleteAlarm()
      await this.ctx.storage.deleteAll()
      this.sessions.forgetSchema()
      this.live.forgetSchema()
      return
    }
    await this.scheduleCleanup(limits, now)
  }

  private async scheduleCleanup(limits: SessionLimits, now = Date.now()): Promise<void> {
    const next = this.sessions.retiredSinceCleanup ? now : this.sessions.nextExpiry(limits)
    if (next !== null) await this.armAlarmBy(next)
  }

  /** Makes sure the alarm fires no later than `at`. */
  private async armAlarmBy(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm()
    if (current === null || current > at) await this.ctx.storage.setAlarm(at)
  }

  /**
   * Whether every table of this object (the session store's and any other) and its key-value store
   * are empty. Checked generically, so state added to the Mailbox later is never dropped by this cleanup.
   */
  private storageIsEmpty(): boolean {
    const storage = this.ctx.storage
    // `_cf_*` are the runtime's own tables (not readable); the KV API's data is checked through it.
    const tables = storage.sql
      .exec<{
        name: string
      }>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, 4) != '_cf_' AND substr(name, 1, 7) != 'sqlite_'",
      )
      .toArray()
    const emptyTables = tables.every(
      ({ name }) =>
        storage.sql
          .exec<{ n: number }>(`SELECT EXISTS (SELECT 1 FROM "${name.replaceAll('"', '""')}") AS n`)
          .one().n === 0,
    )
    return emptyTables && [...storage.kv.list({ limit: 1 })].length === 0
  }

  private sessionLimits(): SessionLimits {
    return sessionLimits(this.config)
  }
}

function sessionLimits(config: Config): SessionLimits {
  return {
    idleTtlMs: config.sessionIdleTtlMs,
    maxAgeMs: config.sessionMaxAgeMs,
    maxSessions: config.maxSessionsPerIdentity,
    maxRequestsPerSession: config.maxRequestsPerSession,
    maxUnusedSessions: MAX_UNUSED_SESSIONS,
    unusedGraceMs: UNUSED_SESSION_GRACE_MS,
    unusedTtlMs: UNUSED_SESSION_TTL_MS,
  }
}

/**
 * Sessions opened by a handshake but not yet used (anyone can open those for any key): a small pool
 * of their own, never competing with used sessions. One younger than the grace is never evicted; one
 * unused for the TTL expires (AuthFetch sends its request right after the handshake; a late client
 * is told "Session not found" and handshakes again by itself).
 */
export const MAX_UNUSED_SESSIONS = 16
export const UNUSED_SESSION_GRACE_MS = 30_000
export const UNUSED_SESSION_TTL_MS = 5 * 60_000

/** The most a connection may take of the window at once (see `leaseSize` in request-rate.ts). */
const MAX_LEASE = 10

/** One alarm pass deletes at most this much; more waits for the next pass, CLEANUP_PAUSE_MS later. */
export const CLEANUP_BUDGET: CleanupBudget = { sessions: 256, replayRecords: 2000 }
const CLEANUP_PAUSE_MS = 1000
