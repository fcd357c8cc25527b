import { PrivateKey } from '@bsv/sdk'
import { env, runDurableObjectAlarm } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { mailbox } from '../../src/objects/mailbox'
import type { SessionLimits, SessionStore } from '../../src/objects/session-store'
import { inMailbox } from '../helpers/mailbox'

// The session store inside a real Mailbox Durable Object (real SQLite storage), with the clock passed
// in by the test: expiry and eviction are driven, never waited for.

const MINUTE = 60_000
const limits: SessionLimits = {
  idleTtlMs: 60 * MINUTE,
  maxAgeMs: 24 * 60 * MINUTE,
  maxSessions: 3,
  maxRequestsPerSession: 1000,
}
const T0 = 1_800_000_000_000

/** Runs `fn` against the session store of a fresh identity's Mailbox. */
function withStore<R>(fn: (store: SessionStore, identityKey: string) => R): Promise<R> {
  const identityKey = PrivateKey.fromRandom().toPublicKey().toString()
  return inMailbox(identityKey, (box) => fn(box.sessionStore, identityKey))
}

const open = (store: SessionStore, identityKey: string, serverNonce: string, now = T0, l = limits) =>
  store.open({ serverNonce, identityKey, clientNonce: `client-${serverNonce}` }, now, l)

describe('SessionStore (Mailbox Durable Object)', () => {
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

  it('slides the idle expiry with every request', async () => {
    await withStore((store, id) => {
      open(store, id, 'S1')
      const idle = limits.idleTtlMs
      expect(store.claim('S1', id, 'a', T0 + idle - 1, limits).ok).toBe(true)
      expect(store.claim('S1', id, 'b', T0 + 2 * idle - 2, limits).ok).toBe(true)
      expect(store.claim('S1', id, 'c', T0 + 3 * idle - 2, limits)).toEqual({
        ok: false,
        reason: 'session-not-found',
      })
      expect(store.get('S1')).toBeNull()
    })
  })

  it('ends a session at the absolute cap however busy it is', async () => {
    await withStore((store, id) => {
      open(store, id, 'S1')
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

  it('evicts never-used sessions first, then the least recently used, beyond the per-identity limit', async () => {
    await withStore((store, id) => {
      open(store, id, 'used-early', T0)
      open(store, id, 'used-late', T0 + 1)
      store.claim('used-early', id, 'n', T0 + 10, limits)
      store.claim('used-late', id, 'n', T0 + 20, limits)
      open(store, id, 'unused', T0 + 30)
      // A flood of unauthenticated handshakes only displaces other never-used sessions.
      expect(open(store, id, 'flood-1', T0 + 40)).toBe(1)
      expect(store.list().map((s) => s.serverNonce)).toEqual(['used-early', 'used-late', 'flood-1'])
      expect(open(store, id, 'flood-2', T0 + 50)).toBe(1)
      expect(store.list().map((s) => s.serverNonce)).toEqual(['used-early', 'used-late', 'flood-2'])
      store.claim('flood-2', id, 'n', T0 + 60, limits)
      open(store, id, 'newest', T0 + 70)
      // All used now: the least recently used goes, never the session just opened.
      expect(store.list().map((s) => s.serverNonce)).toEqual(['used-late', 'flood-2', 'newest'])
    })
  })

  it('purges expired sessions with their replay records', async () => {
    await withStore((store, id) => {
      open(store, id, 'old', T0)
      open(store, id, 'fresh', T0 + limits.idleTtlMs)
      store.claim('old', id, 'n', T0, limits)
      expect(store.purgeExpired(T0 + limits.idleTtlMs + 1, limits)).toBe(1)
      expect(store.list().map((s) => s.serverNonce)).toEqual(['fresh'])
      expect(store.nextExpiry(limits)).toBe(T0 + 2 * limits.idleTtlMs)
    })
  })
})

describe('Mailbox session cleanup alarm', () => {
  it('is armed by a handshake and purges expired sessions and nonces when it fires', async () => {
    const identityKey = PrivateKey.fromRandom().toPublicKey().toString()
    const stub = mailbox(env, identityKey)
    await stub.openSession(identityKey, 'S1', 'C1')
    await stub.openSession(identityKey, 'S2', 'C2')
    expect(await stub.claimRequest(identityKey, 'S1', 'n1')).toEqual({ ok: true, clientNonce: 'C1' })
    const alarm = await inMailbox(identityKey, (_box, state) => state.storage.getAlarm())
    expect(alarm).toBeGreaterThan(Date.now())

    // Age S1 past its idle expiry; S2 stays fresh.
    await inMailbox(identityKey, (_box, state) => {
      state.storage.sql.exec(
        "UPDATE auth_sessions SET last_used_at = last_used_at - 7200000 WHERE server_nonce = 'S1'",
      )
    })
    expect(await runDurableObjectAlarm(stub)).toBe(true)
    const after = await inMailbox(identityKey, (box, state) => ({
      sessions: box.sessionStore.list().map((s) => s.serverNonce),
      nonces: state.storage.sql.exec('SELECT COUNT(*) AS n FROM auth_claimed_nonces').one().n,
      alarm: state.storage.getAlarm(),
    }))
    expect(after.sessions).toEqual(['S2'])
    expect(after.nonces).toBe(0)
    expect(await after.alarm).not.toBeNull()
  })
})
