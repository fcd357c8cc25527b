import { PrivateKey } from '@bsv/sdk'
import { describe, expect, it } from 'vitest'
import { type SessionLimits, SessionStore } from '../../src/objects/session-store'
import { inMailbox, sessionsOf } from '../helpers/mailbox'

// The session store inside a real Mailbox Durable Object (real SQLite storage), with the clock passed
// in by the test: expiry and eviction are driven, never waited for.

const MINUTE = 60_000
const limits: SessionLimits = {
  idleTtlMs: 60 * MINUTE,
  maxAgeMs: 24 * 60 * MINUTE,
  maxSessions: 3,
  maxRequestsPerSession: 1000,
  maxUnusedSessions: 2,
  unusedGraceMs: 30_000,
  unusedTtlMs: 5 * MINUTE,
}
const T0 = 1_800_000_000_000

/** Runs `fn` against the session store of a fresh identity's Mailbox. */
function withStore<R>(fn: (store: SessionStore, identityKey: string, sql: SqlStorage) => R): Promise<R> {
  const identityKey = PrivateKey.fromRandom().toPublicKey().toString()
  return inMailbox(identityKey, (box, state) => fn(sessionsOf(box), identityKey, state.storage.sql))
}

const open = (store: SessionStore, identityKey: string, serverNonce: string, now = T0, l = limits) =>
  store.open({ serverNonce, identityKey, clientNonce: `client-${serverNonce}` }, now, l)
const names = (store: SessionStore) => store.list().map((s) => s.serverNonce)

describe('SessionStore: claims', () => {
  it('claims a request nonce once and returns the session client nonce', async () => {
    await withStore((store, id) => {
      open(store, id, 'S1')
      expect(store.claim('S1', id, 'n1', T0, limits)).toEqual({ ok: true, clientNonce: 'client-S1' })
      expect(store.claim('S1', id, 'n1', T0 + 1, limits)).toEqual({ ok: false, reason: 'replayed' })
      expect(store.claim('S1', id, 'n2', T0 + 2, limits)).toEqual({ ok: true, clientNonce: 'client-S1' })
    })
  })

  it('keeps nonces per session: the same nonce in another session is not a replay', async () => {
    await withStore((store, id) => {
      open(store, id, 'S1')
      open(store, id, 'S2')
      expect(store.claim('S1', id, 'n', T0, limits).ok).toBe(true)
      expect(store.claim('S2', id, 'n', T0, limits).ok).toBe(true)
    })
  })

  it('finds no session for another identity or an unknown nonce', async () => {
    await withStore((store, id) => {
      open(store, id, 'S1')
      expect(store.claim('S1', '02' + 'ab'.repeat(32), 'n', T0, limits)).toEqual({
        ok: false,
        reason: 'session-not-found',
      })
      expect(store.claim('S9', id, 'n', T0, limits)).toEqual({ ok: false, reason: 'session-not-found' })
    })
  })

  it('creates no storage when asked for a session it never had', async () => {
    await withStore((store, id, sql) => {
      expect(store.claim('S1', id, 'n', T0, limits)).toEqual({ ok: false, reason: 'session-not-found' })
      expect(store.list()).toEqual([])
      const tables = sql.exec("SELECT name FROM sqlite_master WHERE name LIKE 'auth_%'").toArray()
      expect(tables).toEqual([])
    })
  })
})

describe('SessionStore: writes per request', () => {
  it("a used session's row is written on its first request, then once per touch step; every claim stores its replay record", async () => {
    await withStore((store, id, sql) => {
      open(store, id, 'S1')
      const step = limits.idleTtlMs / 16
      const written = (nonce: string, at: number) => {
        expect(store.claim('S1', id, nonce, at, limits).ok).toBe(true)
        return store.get('S1')!
      }
      expect(written('a', T0 + 1)).toMatchObject({ lastUsedAt: T0 + 1, requestCount: 1 })
      // Within the step: counted, not written (the stored last use stays).
      expect(written('b', T0 + 2)).toMatchObject({ lastUsedAt: T0 + 1, requestCount: 2 })
      expect(written('c', T0 + step)).toMatchObject({ lastUsedAt: T0 + 1, requestCount: 3 })
      const stored = () =>
        sql
          .exec<{
            last_used_at: number
            request_count: number
          }>("SELECT last_used_at, request_count FROM auth_sessions WHERE server_nonce = 'S1'")
          .one()
      expect(stored()).toEqual({ last_used_at: T0 + 1, request_count: 1 })
      // A step after the last write: the row is written with the whole count.
      expect(written('d', T0 + 1 + step)).toMatchObject({ lastUsedAt: T0 + 1 + step, requestCount: 4 })
      expect(stored()).toEqual({ last_used_at: T0 + 1 + step, request_count: 4 })
      expect(sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM auth_claimed_nonces').one().n).toBe(4)
    })
  })

  it('a store written by the previous version loses its full (request_count, created_at) index for the partial one', async () => {
    await withStore((store, id, sql) => {
      open(store, id, 'S1')
      sql.exec('DROP INDEX auth_sessions_unused')
      sql.exec('CREATE INDEX auth_sessions_by_use ON auth_sessions (request_count, created_at)')
      new SessionStore(sql)
      const indexes = sql
        .exec<{
          name: string
          sql: string
        }>(
          "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'auth_sessions' AND sql IS NOT NULL",
        )
        .toArray()
      expect(indexes.map((i) => i.name)).toEqual(['auth_sessions_unused'])
      expect(indexes[0]!.sql).toContain('WHERE request_count = 0')
    })
  })

  it('the request cap counts the claims not yet written', async () => {
    await withStore((store, id) => {
      const capped = { ...limits, maxRequestsPerSession: 3 }
      open(store, id, 'S1', T0, capped)
      for (const [i, nonce] of ['a', 'b', 'c'].entries()) {
        expect(store.claim('S1', id, nonce, T0 + 1 + i, capped).ok).toBe(true)
      }
      expect(store.claim('S1', id, 'd', T0 + 5, capped)).toEqual({ ok: false, reason: 'session-not-found' })
    })
  })
})

describe('SessionStore: expiry', () => {
  it('slides the idle expiry with every request', async () => {
    await withStore((store, id) => {
      open(store, id, 'S1')
      const idle = limits.idleTtlMs
      expect(store.claim('S1', id, 'a', T0 + 1, limits).ok).toBe(true)
      expect(store.claim('S1', id, 'b', T0 + idle, limits).ok).toBe(true)
      expect(store.claim('S1', id, 'c', T0 + 2 * idle, limits)).toEqual({
        ok: false,
        reason: 'session-not-found',
      })
      expect(store.get('S1')).toBeNull()
    })
  })

  it('ends a session at the absolute cap however busy it is', async () => {
    await withStore((store, id) => {
      open(store, id, 'S1')
      expect(store.claim('S1', id, 'first', T0 + 1, limits).ok).toBe(true)
      let t = T0
      for (let i = 0; t + 30 * MINUTE < T0 + limits.maxAgeMs; i++) {
        t += 30 * MINUTE
        expect(store.claim('S1', id, `n${i}`, t, limits).ok).toBe(true)
      }
      expect(store.claim('S1', id, 'last', T0 + limits.maxAgeMs, limits)).toEqual({
        ok: false,
        reason: 'session-not-found',
      })
    })
  })

  it('ends a session after its request cap, so its replay records stay bounded', async () => {
    await withStore((store, id) => {
      const capped = { ...limits, maxRequestsPerSession: 2 }
      open(store, id, 'S1', T0, capped)
      expect(store.claim('S1', id, 'a', T0, capped).ok).toBe(true)
      expect(store.claim('S1', id, 'b', T0, capped).ok).toBe(true)
      expect(store.claim('S1', id, 'c', T0, capped)).toEqual({ ok: false, reason: 'session-not-found' })
    })
  })

  it('ends a session never used within the unused TTL, and not one used in time', async () => {
    await withStore((store, id) => {
      open(store, id, 'late')
      open(store, id, 'prompt')
      expect(store.claim('prompt', id, 'n', T0 + 1000, limits).ok).toBe(true)
      const after = T0 + limits.unusedTtlMs
      expect(store.claim('late', id, 'n', after, limits)).toEqual({ ok: false, reason: 'session-not-found' })
      expect(store.claim('prompt', id, 'm', after, limits).ok).toBe(true)
    })
  })

  it('reports the next expiry, unused sessions by their shorter TTL', async () => {
    await withStore((store, id) => {
      expect(store.nextExpiry(limits)).toBeNull()
      open(store, id, 'used', T0)
      store.claim('used', id, 'n', T0, limits)
      expect(store.nextExpiry(limits)).toBe(T0 + limits.idleTtlMs)
      open(store, id, 'unused', T0 + 10)
      expect(store.nextExpiry(limits)).toBe(T0 + 10 + limits.unusedTtlMs)
    })
  })
})

describe('SessionStore: what handshakes can and cannot evict', () => {
  it('never evicts a used session, however many handshakes name the identity', async () => {
    await withStore((store, id) => {
      for (const s of ['u1', 'u2', 'u3']) {
        open(store, id, s)
        expect(store.claim(s, id, 'n', T0 + 1, limits).ok).toBe(true)
      }
      for (let i = 0; i < 200; i++) open(store, id, `flood-${i}`, T0 + MINUTE + i * 1000)
      expect(names(store).slice(0, 3)).toEqual(['u1', 'u2', 'u3'])
      for (const s of ['u1', 'u2', 'u3'])
        expect(store.claim(s, id, 'm', T0 + 5 * MINUTE, limits).ok).toBe(true)
    })
  })

  it('never evicts an unused session within its grace period: a flood only adds rows', async () => {
    await withStore((store, id) => {
      open(store, id, 'victim', T0)
      for (let i = 0; i < 100; i++) open(store, id, `flood-${i}`, T0 + i)
      expect(store.count()).toBe(101)
      expect(store.claim('victim', id, 'n', T0 + limits.unusedGraceMs - 1, limits)).toEqual({
        ok: true,
        clientNonce: 'client-victim',
      })
    })
  })

  it('beyond the unused cap, evicts the oldest unused sessions past their grace, and only those', async () => {
    await withStore((store, id) => {
      const grace = limits.unusedGraceMs
      open(store, id, 'old-1', T0)
      open(store, id, 'old-2', T0 + 1)
      open(store, id, 'young', T0 + grace)
      // Cap 2: three unused now, old-1 is past its grace at T0 + grace.
      expect(names(store)).toEqual(['old-2', 'young'])
      expect(open(store, id, 'newest', T0 + grace + 1)).toBe(1)
      expect(names(store)).toEqual(['young', 'newest'])
      // Both remaining are within their grace: the next handshake evicts nothing, and is not refused.
      expect(open(store, id, 'more', T0 + grace + 2)).toBe(0)
      expect(names(store)).toEqual(['young', 'newest', 'more'])
    })
  })

  it("a session's first request displaces the least recently used used session, never itself", async () => {
    await withStore((store, id) => {
      for (const [i, s] of ['u1', 'u2', 'u3'].entries()) {
        open(store, id, s, T0 + i)
        store.claim(s, id, 'n', T0 + 10 + i, limits)
      }
      // Last use is recorded to a sixteenth of the idle TTL (a used session's row is written that often).
      const step = limits.idleTtlMs / 16
      store.claim('u1', id, 'm', T0 + 10 + step, limits)
      open(store, id, 'new', T0 + 20 + step)
      // Opening alone displaced nothing: four sessions, one unused.
      expect(store.count()).toBe(4)
      expect(store.claim('new', id, 'n', T0 + 30 + step, limits).ok).toBe(true)
      // u2 was the least recently used.
      expect(names(store)).toEqual(['u1', 'u3', 'new'])
    })
  })
})

describe('SessionStore: cleanup of replay records', () => {
  it('ends a session without deleting its replay records; cleanup deletes them in chunks by count', async () => {
    await withStore((store, id, sql) => {
      const one = { ...limits, maxSessions: 1 }
      open(store, id, 'busy', T0, one)
      store.claim('busy', id, 'first', T0, one)
      for (let i = 0; i < 250; i++) {
        sql.exec(
          'INSERT INTO auth_claimed_nonces (server_nonce, request_nonce) VALUES (?, ?)',
          'busy',
          `r${i}`,
        )
      }
      open(store, id, 'next', T0 + 1, one)
      expect(store.claim('next', id, 'n', T0 + 2, one).ok).toBe(true)
      expect(names(store)).toEqual(['next'])
      expect(store.retiredSinceCleanup).toBe(true)
      // The request that displaced `busy` deleted none of its 251 records.
      expect(store.countReplayRecords()).toBe(252)

      const budget = { sessions: 10, replayRecords: 100 }
      expect(store.cleanUp(T0 + 3, one, budget)).toEqual({
        sessionsRetired: 0,
        replayRecordsDeleted: 100,
        moreWork: true,
      })
      expect(store.cleanUp(T0 + 4, one, budget)).toMatchObject({ replayRecordsDeleted: 100, moreWork: true })
      expect(store.cleanUp(T0 + 5, one, budget)).toMatchObject({ replayRecordsDeleted: 51, moreWork: false })
      expect(store.countReplayRecords()).toBe(1)
      expect(store.claim('next', id, 'n', T0 + 6, one)).toEqual({ ok: false, reason: 'replayed' })
    })
  })

  it('ends expired sessions in chunks by count, then their replay records', async () => {
    await withStore((store, id) => {
      const roomy = { ...limits, maxSessions: 10 }
      for (let i = 0; i < 5; i++) {
        open(store, id, `s${i}`, T0 + i, roomy)
        store.claim(`s${i}`, id, 'n', T0 + i, roomy)
      }
      const later = T0 + limits.idleTtlMs + 10
      const budget = { sessions: 2, replayRecords: 100 }
      expect(store.cleanUp(later, roomy, budget)).toEqual({
        sessionsRetired: 2,
        replayRecordsDeleted: 2,
        moreWork: true,
      })
      expect(store.cleanUp(later, roomy, budget)).toMatchObject({ sessionsRetired: 2, moreWork: true })
      expect(store.cleanUp(later, roomy, budget)).toMatchObject({ sessionsRetired: 1, moreWork: false })
      expect(store.count()).toBe(0)
      expect(store.isEmpty()).toBe(true)
    })
  })
})
