import { PrivateKey } from '@bsv/sdk'
import { env, runDurableObjectAlarm } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { CLEANUP_BUDGET } from '../../src/objects/mailbox'
import { mailbox } from '../../src/objects/stubs'
import { LeasedRequests } from '../../src/live/leased-requests'
import { type RateLease, RequestRateWindow } from '../../src/objects/request-rate'
import { inMailbox, sessionsOf } from '../helpers/mailbox'

// The Mailbox Durable Object through its RPC stub and its real alarm (runDurableObjectAlarm), over its
// real SQLite storage. Time passes by ageing rows, never by waiting.

const freshKey = () => PrivateKey.fromRandom().toPublicKey().toString()
const HOUR = 3_600_000

/** Every table of the object's SQLite storage with its row count (internal `_cf_` tables included). */
function tablesOf(identityKey: string) {
  return inMailbox(identityKey, (_box, state) =>
    state.storage.sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .toArray()
      .map(({ name }) => name),
  )
}

/** Moves every session of `identityKey` `ms` into the past. */
function age(identityKey: string, ms: number) {
  return inMailbox(identityKey, (_box, state) => {
    state.storage.sql.exec(
      'UPDATE auth_sessions SET created_at = created_at - ?, last_used_at = last_used_at - ?',
      ms,
      ms,
    )
  })
}

describe('Mailbox cleanup alarm', () => {
  it('is armed by a handshake and ends expired sessions and their replay records when it fires', async () => {
    const identityKey = freshKey()
    const stub = mailbox(env, identityKey)
    await stub.openSession(identityKey, 'S1', 'C1')
    await stub.openSession(identityKey, 'S2', 'C2')
    expect(await stub.claimRequest(identityKey, 'S1', 'n1')).toEqual({ ok: true, clientNonce: 'C1' })
    expect(await stub.claimRequest(identityKey, 'S2', 'n2')).toEqual({ ok: true, clientNonce: 'C2' })
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
      sessions: sessionsOf(box)
        .list()
        .map((s) => s.serverNonce),
      records: sessionsOf(box).countReplayRecords(),
      alarm: state.storage.getAlarm(),
    }))
    expect(after.sessions).toEqual(['S2'])
    expect(after.records).toBe(1)
    expect(await after.alarm).not.toBeNull()
  })

  it('deletes all storage and its alarm once the last session has expired', async () => {
    const identityKey = freshKey()
    const stub = mailbox(env, identityKey)
    await stub.openSession(identityKey, 'S1', 'C1')
    await stub.claimRequest(identityKey, 'S1', 'n1')
    expect(await tablesOf(identityKey)).toContain('auth_sessions')

    await age(identityKey, 25 * HOUR)
    expect(await runDurableObjectAlarm(stub)).toBe(true)
    const userTables = (await tablesOf(identityKey)).filter((name) => !name.startsWith('_cf_'))
    expect(userTables).toEqual([])
    expect(await inMailbox(identityKey, (_box, state) => state.storage.getAlarm())).toBeNull()

    // The object works as new afterwards.
    await stub.openSession(identityKey, 'S2', 'C2')
    expect(await stub.claimRequest(identityKey, 'S2', 'n1')).toEqual({ ok: true, clientNonce: 'C2' })
  })

  it('keeps its storage while any other table of the object holds rows', async () => {
    const identityKey = freshKey()
    const stub = mailbox(env, identityKey)
    await stub.openSession(identityKey, 'S1', 'C1')
    await inMailbox(identityKey, (_box, state) => {
      state.storage.sql.exec('CREATE TABLE live_rooms (room TEXT PRIMARY KEY)')
      state.storage.sql.exec("INSERT INTO live_rooms VALUES ('r1')")
    })
    await age(identityKey, 25 * HOUR)
    expect(await runDurableObjectAlarm(stub)).toBe(true)
    expect(await tablesOf(identityKey)).toContain('live_rooms')
    expect(await inMailbox(identityKey, (box) => sessionsOf(box).list())).toEqual([])
  })

  it('keeps its storage while the KV API holds a value', async () => {
    const identityKey = freshKey()
    const stub = mailbox(env, identityKey)
    await stub.openSession(identityKey, 'S1', 'C1')
    await inMailbox(identityKey, (_box, state) => state.storage.put('k', 'v'))
    await age(identityKey, 25 * HOUR)
    expect(await runDurableObjectAlarm(stub)).toBe(true)
    expect(await inMailbox(identityKey, (_box, state) => state.storage.get('k'))).toBe('v')
  })

  it('leaves replay records of a displaced session to its alarm, which deletes them in passes', async () => {
    const identityKey = freshKey()
    const stub = mailbox(env, identityKey)
    const records = 2 * CLEANUP_BUDGET.replayRecords + 500
    // 64 used sessions (MAX_SESSIONS_PER_IDENTITY), the oldest holding many replay records.
    for (let i = 0; i < 64; i++) {
      await stub.openSession(identityKey, `S${i}`, `C${i}`)
      await stub.claimRequest(identityKey, `S${i}`, 'n')
    }
    await inMailbox(identityKey, (_box, state) => {
      for (let i = 1; i < records; i++) {
        state.storage.sql.exec("INSERT INTO auth_claimed_nonces VALUES ('S0', ?)", `r${i}`)
      }
    })
    await stub.openSession(identityKey, 'S64', 'C64')
    // Inside one call to the object, so no alarm can run between the claim and the count.
    const atClaim = await inMailbox(identityKey, async (box, state) => {
      const claimed = await box.claimRequest(identityKey, 'S64', 'n')
      return {
        claimed,
        s0: sessionsOf(box).get('S0'),
        records: sessionsOf(box).countReplayRecords(),
        alarm: await state.storage.getAlarm(),
      }
    })
    expect(atClaim.claimed).toEqual({ ok: true, clientNonce: 'C64' })
    expect(atClaim.s0).toBeNull()
    // S0 is gone, none of its records went with it inside the request.
    expect(atClaim.records).toBe(records + 64)
    expect(atClaim.alarm).toBeLessThanOrEqual(Date.now())

    // The real alarm then runs passes of CLEANUP_BUDGET.replayRecords, one second apart.
    const count = () => inMailbox(identityKey, (box) => sessionsOf(box).countReplayRecords())
    const deadline = Date.now() + 10_000
    while ((await count()) > 64 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    expect(await count()).toBe(64)
  })
})

describe('Mailbox request rate (REQUEST_RATE_LIMIT, in memory)', () => {
  it('admits the limit per window and then answers rate-limited, with the client nonce to sign it', async () => {
    const identityKey = freshKey()
    const stub = mailbox(env, identityKey)
    await stub.openSession(identityKey, 'S1', 'C1')
    const limit = 1200 // wrangler.toml's REQUEST_RATE_LIMIT
    for (let i = 0; i < limit; i++) {
      const claimed = await stub.claimRequest(identityKey, 'S1', `n${i}`)
      if (!claimed.ok) throw new Error(`request ${i} refused: ${JSON.stringify(claimed)}`)
    }
    const over = await stub.claimRequest(identityKey, 'S1', 'over')
    expect(over).toMatchObject({ ok: false, reason: 'rate-limited', clientNonce: 'C1', limit })
    expect(over.ok === false && over.reason === 'rate-limited' && over.retryAfterSeconds).toBeGreaterThan(0)
    // The refused request's nonce was claimed all the same: it cannot be replayed once the window ends.
    expect(await stub.claimRequest(identityKey, 'S1', 'over')).toEqual({ ok: false, reason: 'replayed' })
  })

  it('counts in memory: a rate check writes nothing to storage', async () => {
    const identityKey = freshKey()
    const stub = mailbox(env, identityKey)
    await stub.openSession(identityKey, 'S1', 'C1')
    await stub.claimRequest(identityKey, 'S1', 'n1')
    const stored = await inMailbox(identityKey, (_box, state) =>
      state.storage.sql
        .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
        .toArray()
        .map(({ name }) => name)
        .filter((name) => !name.startsWith('_cf_') && !name.startsWith('auth_')),
    )
    expect(stored).toEqual([])
  })
})

describe('RequestRateWindow', () => {
  it('admits `limit` requests per 60 s window and says when the window ends', () => {
    const window = new RequestRateWindow()
    const t = 1_000_000
    expect(window.take(t, 2)).toBeNull()
    expect(window.take(t + 1, 2)).toBeNull()
    expect(window.take(t + 2, 2)).toBe(60)
    expect(window.take(t + 59_001, 2)).toBe(1)
    expect(window.take(t + 60_000, 2)).toBeNull()
  })

  it('never refuses when the limit is 0 (off)', () => {
    const window = new RequestRateWindow()
    for (let i = 0; i < 10_000; i++) expect(window.take(i, 0)).toBeNull()
  })

  it('leases count as admitted: leases and single requests together never pass the limit', () => {
    const window = new RequestRateWindow()
    const t = 1_000_000
    expect(window.lease(t, 25, 10)).toEqual({ granted: 10, validForMs: 60_000, retryAfterSeconds: null })
    expect(window.take(t + 1, 25)).toBeNull()
    expect(window.lease(t + 30_000, 25, 10)).toEqual({
      granted: 10,
      validForMs: 30_000,
      retryAfterSeconds: null,
    })
    // 21 taken: the last lease gets what is left, then nothing until the window ends.
    expect(window.lease(t + 30_000, 25, 10).granted).toBe(4)
    expect(window.lease(t + 59_500, 25, 10)).toEqual({ granted: 0, validForMs: 500, retryAfterSeconds: 1 })
    expect(window.take(t + 59_500, 25)).toBe(1)
    expect(window.lease(t + 60_000, 25, 10).granted).toBe(10)
  })
})

describe("LeasedRequests (a live connection's share)", () => {
  const grants = (...granted: number[]) => {
    const calls: number[] = []
    const lease = async (wanted: number): Promise<RateLease> => {
      calls.push(wanted)
      const n = granted.shift() ?? 0
      return { granted: n, validForMs: 60_000, retryAfterSeconds: n === 0 ? 42 : null }
    }
    return { calls, lease }
  }

  it('asks once per lease, admits from it, and stops asking while refused', async () => {
    const share = new LeasedRequests()
    const mailbox = grants(3, 0)
    const results = []
    for (let i = 0; i < 6; i++) results.push(await share.admit('k', 1_000 + i, 3, mailbox.lease))
    expect(results).toEqual([null, null, null, 42, 60, 60])
    expect(mailbox.calls).toEqual([3, 3]) // the refusal is remembered until the window ends
  })

  it('a share expires with its window, and another identity on the connection starts its own', async () => {
    const share = new LeasedRequests()
    const mailbox = grants(5, 5, 5)
    await share.admit('a', 0, 5, mailbox.lease)
    await share.admit('a', 60_000, 5, mailbox.lease) // expired: asks again
    await share.admit('b', 60_001, 5, mailbox.lease) // another identity: asks for itself
    expect(mailbox.calls).toHaveLength(3)
  })
})
