import { createScheduledController, env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { createDb } from '../../src/db/client'
import { deleteAcknowledged } from '../../src/db/messages'
import { scheduled } from '../../src/scheduled'
import { PrivateKey } from '@bsv/sdk'
import { answerOf, fuzzSession } from '../helpers/fuzz'
import { paidNotification } from '../helpers/payments'
import { insertDirect, randomKey } from '../helpers/messages'
import { boundSize, type D1Recording, recordingD1 } from '../helpers/recording-d1'
import { relayWithEnv } from '../helpers/relay-with-env'

// Cloudflare D1's documented limits (developers.cloudflare.com/d1/platform/limits/), which local workerd does
// not enforce, asserted on the statements the relay really builds when driven at the contract's maximum sizes.
// Each assertion names the limit it stands for.
const D1_MAX_BOUND_PARAMETERS = 100 // "Maximum bound parameters per query: 100"
const D1_MAX_STATEMENT_BYTES = 100_000 // "Maximum SQL statement length: 100,000 bytes (100 KB)"
const D1_MAX_VALUE_BYTES = 2_000_000 // "Maximum string, BLOB or table row size: 2,000,000 bytes (2 MB)"
const D1_MAX_RESULT_BYTES = 50_000_000 // "Maximum query result size: 50 MB"
// "Maximum SQL query duration: 30 seconds" cannot be measured locally; what one statement touches is bounded
// instead: at most this many rows and this many bytes of bodies per statement of a bulk delete.
const MAX_ROWS_PER_STATEMENT = 5000
const MAX_BODY_BYTES_PER_STATEMENT = 16 * 1024 * 1024

const MiB = 1024 * 1024
const utf8 = new TextEncoder()

/** Every recorded statement within D1's per-statement limits (bound parameters, SQL length, value size, result size). */
function expectWithinD1Limits(recording: D1Recording) {
  expect(recording.statements.length, 'the scenario ran statements').toBeGreaterThan(0)
  for (const s of recording.statements) {
    const where = `${s.sql.slice(0, 120)}…`
    expect(s.params.length, `max bound parameters per query (100): ${where}`).toBeLessThanOrEqual(
      D1_MAX_BOUND_PARAMETERS,
    )
    expect(utf8.encode(s.sql).length, `max SQL statement length (100 KB): ${where}`).toBeLessThanOrEqual(
      D1_MAX_STATEMENT_BYTES,
    )
    const largest = Math.max(0, ...s.params.map(boundSize))
    expect(largest, `max string/BLOB/row size (2 MB), bound value: ${where}`).toBeLessThanOrEqual(
      D1_MAX_VALUE_BYTES,
    )
    expect(
      utf8.encode(JSON.stringify(s.rows)).length,
      `max query result size (50 MB): ${where}`,
    ).toBeLessThanOrEqual(D1_MAX_RESULT_BYTES)
  }
}

/**
 * The largest stored body, in bytes: the largest row D1 would have to hold (a shared body in message_bodies, or
 * a single recipient's whole body in its own row).
 */
async function largestStoredBody(): Promise<number> {
  const shared = await env.DB.prepare(
    'SELECT max(octet_length(body)) AS n FROM message_bodies',
  ).first<number>('n')
  const inline = await env.DB.prepare(
    'SELECT max(octet_length(body_suffix)) AS n FROM messages',
  ).first<number>('n')
  return Math.max(shared ?? 0, inline ?? 0)
}

function recorded() {
  const { db, recording } = recordingD1(env.DB)
  return { relay: relayWithEnv({ DB: db }), recording, db }
}

describe('D1 limits at the contract maximum: /sendMessage', () => {
  it('100 recipients, 256-byte ids, a 128-byte box and a 1 MiB body: within every per-statement limit', async () => {
    const { relay, recording } = recorded()
    const sender = await fuzzSession(relay.fetch)
    const recipients = Array.from({ length: 100 }, () => randomKey())
    const messageId = recipients.map((_, i) => `${String(i).padStart(3, '0')}${'i'.repeat(253)}`)
    const messageBox = 'b'.repeat(128)
    const body = 'a'.repeat(MiB)
    const answer = await answerOf(
      await sender.send({
        path: '/sendMessage',
        body: { message: { recipients, messageBox, messageId, body } },
      }),
    )
    expect(answer.status, answer.text.slice(0, 300)).toBe(200)
    expectWithinD1Limits(recording)
    expect(await largestStoredBody(), 'max row size (2 MB): the stored body').toBeLessThanOrEqual(
      D1_MAX_VALUE_BYTES,
    )
  })

  it('max string/BLOB/row size (2 MB): a 2 MiB request with a payment wrapper is refused (413), never stored as a ~2 MiB row', async () => {
    const { relay, recording } = recorded()
    const key = PrivateKey.fromRandom()
    const sender = await fuzzSession(relay.fetch, key)
    const recipient = randomKey()
    // A paid notification (stored with its payment), its description filling the request to exactly 2 MiB.
    const message = { recipient, messageBox: 'notifications', body: 'a'.repeat(MiB) }
    const { payment: bare } = await paidNotification(key, recipient, message.body, 0)
    const overhead = JSON.stringify({ message, payment: bare }).length
    const payment = { ...bare, description: 'p'.repeat(2 * MiB - overhead) }
    const answer = await answerOf(await sender.send({ path: '/sendMessage', body: { message, payment } }))
    expect(answer.status, answer.text.slice(0, 300)).toBe(413)
    expectWithinD1Limits(recording)
    expect(await largestStoredBody(), 'max row size (2 MB): the stored body').toBeLessThanOrEqual(
      D1_MAX_VALUE_BYTES,
    )
  })
})

describe('D1 limits at the contract maximum: acknowledge, list, quote, permissions', () => {
  it('an acknowledgement of 1000 ids of 256 bytes (the statement the Mailbox runs): within limits, ≤ 1000 rows', async () => {
    const recipient = randomKey()
    const prefix = 'k'.repeat(252)
    await insertDirect({ recipient, messageBox: 'inbox', count: 1000, idPrefix: prefix })
    const ids = Array.from({ length: 1000 }, (_, i) => `${prefix}${i + 1}`)
    const { db, recording } = recordingD1(env.DB)
    const acknowledged = await deleteAcknowledged(createDb(db), recipient, ids, Date.now())
    expect(acknowledged).toBe(1000)
    expectWithinD1Limits(recording)
    for (const s of recording.statements) {
      expect(
        s.rows.length,
        `rows one statement touches are bounded: ${s.sql.slice(0, 80)}`,
      ).toBeLessThanOrEqual(1000)
    }
  })

  it('a 1000-message listing page: within every per-statement limit', async () => {
    const { relay, recording } = recorded()
    const owner = await fuzzSession(relay.fetch)
    await insertDirect({ recipient: owner.identityKey, messageBox: 'page', count: 1001 })
    const answer = await answerOf(
      await owner.send({ path: '/listMessages', body: { messageBox: 'page', limit: 1000 } }),
    )
    expect(answer.status, answer.text.slice(0, 300)).toBe(200)
    expect(JSON.parse(answer.text)).toMatchObject({ hasMore: true, nextOffset: 1000 })
    expectWithinD1Limits(recording)
  })

  it('a listing of a box of 1 MiB bodies: the query result stays under D1’s 50 MB', async () => {
    const { relay, recording } = recorded()
    const owner = await fuzzSession(relay.fetch)
    // hex(zeroblob(n)) is 2n characters: 60 bodies of 1 MiB.
    await insertDirect({
      recipient: owner.identityKey,
      messageBox: 'big',
      count: 60,
      bodySql: 'hex(zeroblob(524288))',
    })
    const answer = await answerOf(await owner.send({ path: '/listMessages', body: { messageBox: 'big' } }))
    expect(answer.status, answer.text.slice(0, 300)).toBe(200)
    expectWithinD1Limits(recording)
  })

  it('a quote for 100 recipients: within every per-statement limit', async () => {
    const { relay, recording } = recorded()
    const sender = await fuzzSession(relay.fetch)
    const search = new URLSearchParams([['messageBox', 'b'.repeat(128)]])
    for (let i = 0; i < 100; i++) search.append('recipient', randomKey())
    const answer = await answerOf(await sender.send({ method: 'GET', path: `/permissions/quote?${search}` }))
    expect(answer.status, answer.text.slice(0, 300)).toBe(200)
    expectWithinD1Limits(recording)
  })

  it('a permission listing of 1000 rules and a 128-byte box rule: within every per-statement limit', async () => {
    const { relay, recording } = recorded()
    const owner = await fuzzSession(relay.fetch)
    const set = await owner.send({
      path: '/permissions/set',
      body: { messageBox: 'b'.repeat(128), recipientFee: 2_147_483_647, sender: randomKey() },
    })
    expect(set.status).toBe(200)
    const answer = await answerOf(
      await owner.send({ method: 'GET', path: '/permissions/list?limit=1000&offset=0&createdAtOrder=asc' }),
    )
    expect(answer.status, answer.text.slice(0, 300)).toBe(200)
    expectWithinD1Limits(recording)
  })
})

/** Runs the Worker's cron purge over a recording D1; every message expired at t = 1 must be gone after it. */
async function purgeRecorded() {
  const { db, recording } = recordingD1(env.DB)
  await scheduled(createScheduledController({ scheduledTime: Date.now(), cron: '0 * * * *' }), {
    ...env,
    DB: db,
  })
  expect(
    await env.DB.prepare('SELECT count(*) AS n FROM messages WHERE expires_at <= 1').first<number>('n'),
  ).toBe(0)
  return recording
}

describe('D1 limits: the cron purge of expired messages', () => {
  it('5001 expired messages: every statement within limits and touching at most 5000 messages', async () => {
    await insertDirect({ recipient: randomKey(), messageBox: 'old', count: 5001, expiresAt: 1 })
    const recording = await purgeRecorded()
    expectWithinD1Limits(recording)
    for (const s of recording.statements) {
      expect(
        s.rows.length,
        `statement duration (30 s): rows per statement bounded: ${s.sql.slice(0, 80)}`,
      ).toBeLessThanOrEqual(MAX_ROWS_PER_STATEMENT)
    }
  })

  it('statement duration (30 s): bytes one purge statement frees are bounded (16 MiB)', async () => {
    // 24 expired messages, each with its own 1 MiB body.
    await insertDirect({
      recipient: randomKey(),
      messageBox: 'old-big',
      count: 24,
      expiresAt: 1,
      bodySql: 'hex(zeroblob(524288))',
    })
    const sizes = new Map(
      (
        await env.DB.prepare(
          'SELECT m.seq AS seq, octet_length(b.body) AS size FROM messages m JOIN message_bodies b ON b.id = m.body_id WHERE m.expires_at <= 1',
        ).all<{ seq: number; size: number }>()
      ).results.map((r) => [r.seq, r.size]),
    )
    const recording = await purgeRecorded()
    for (const s of recording.statements) {
      // RETURNING rows come back as objects or, through drizzle's raw(), as [seq] arrays.
      const seqs = s.rows.map(
        (row) => (Array.isArray(row) ? row[0] : (row as { seq?: number }).seq) as number,
      )
      const freed = seqs.reduce((sum, seq) => sum + (sizes.get(seq) ?? 0), 0)
      expect(freed, `bytes of bodies one statement frees: ${s.sql.slice(0, 80)}`).toBeLessThanOrEqual(
        MAX_BODY_BYTES_PER_STATEMENT,
      )
    }
  })
})

describe('Worker memory (128 MB): a listing is bounded by what it sends (contract "Responses are bounded…")', () => {
  it('bodies of control characters end the page once its JSON passes MAX_LIST_BODY_BYTES (escapes counted)', async () => {
    const budget = 256 * 1024
    const relay = relayWithEnv({ MAX_LIST_BODY_BYTES: String(budget) })
    const owner = await fuzzSession(relay.fetch)
    // 10 bodies of 64 Ki U+0001 each: 640 KiB stored, ~3.75 MiB as JSON.
    await insertDirect({
      recipient: owner.identityKey,
      messageBox: 'controls',
      count: 10,
      bodySql: "replace(hex(zeroblob(32768)), '0', char(1))",
    })
    const answer = await answerOf(
      await owner.send({ path: '/listMessages', body: { messageBox: 'controls' } }),
    )
    expect(answer.status).toBe(200)
    const page = JSON.parse(answer.text) as { messages: unknown[]; hasMore: boolean }
    expect(page.hasMore).toBe(true)
    // The first message is always listed; beyond it, the serialized page stays within the budget.
    if (page.messages.length > 1) expect(utf8.encode(answer.text).length).toBeLessThanOrEqual(budget)
  })
})
