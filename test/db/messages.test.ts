import { createScheduledController, env } from 'cloudflare:test'
import { afterEach, describe, expect, it } from 'vitest'
import { createDb } from '../../src/db/client'
import type { Db } from '../../src/db/client'
import {
  deleteAcknowledged,
  listForRecipient,
  listPageQuery,
  purgeExpired,
  type Send,
  type StoredForm,
  writeSend,
} from '../../src/db/messages'
import { setPermission } from '../../src/db/permissions'
import type { QuotaLimits } from '../../src/db/quotas'
import { RelayError } from '../../src/errors'
import worker from '../../src/index'
import { d1FailingAtEndOfBatch } from '../helpers/failing-d1'
import { countBodies, fillBox, randomKey, storedFor } from '../helpers/messages'
import { callsOf, recordingD1 } from '../helpers/recording-d1'

const db = createDb(env.DB)
const NEVER = Number.MAX_SAFE_INTEGER

/** The contract's default quotas. */
const LIMITS: QuotaLimits = {
  inboxMessages: 10_000,
  inboxBytes: 100 * 1024 * 1024,
  senderPerRecipient: 1000,
  senderMessages: 10_000,
  senderBytes: 256 * 1024 * 1024,
  networkBytes: 1024 * 1024 * 1024,
  strangerShare: 0.5,
  maxDatabaseBytes: 10_000_000_000,
  storagePressure: 0.7,
}

function send(
  overrides: Partial<Omit<Send, 'limits'>> & Pick<Send, 'deliveries'> & { limits?: Partial<QuotaLimits> },
): Send {
  const body = overrides.body ?? 'b'
  return {
    sender: randomKey(),
    // Each send from its own network, so the network quotas stay out of what these tests count.
    network: crypto.randomUUID(),
    messageBox: 'inbox',
    now: Date.now(),
    expiresAt: NEVER,
    size: new TextEncoder().encode(body).length,
    maxStoredBytes: 1_900_000,
    ...overrides,
    body,
    limits: { ...LIMITS, ...overrides.limits },
  }
}

/** Writes `s` for every recipient as the send pipeline's last step does (nothing read first). */
function write(
  to: Db,
  s: Send,
  options: { stored?: StoredForm; admitFree?: boolean } = {},
): Promise<boolean> {
  const stored = options.stored ?? { body: s.body }
  return writeSend(to, s, { fresh: s.deliveries, stored, bodyBytes: s.size, admitFree: options.admitFree })
}

const page = (limit: number) => ({ limit, offset: 0, now: Date.now(), maxBytes: 8 * 1024 * 1024 })

async function planOf(query: { getQuery(): { sql: string; params: unknown[] } }): Promise<string> {
  const { sql, params } = query.getQuery()
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .bind(...params)
    .all<{ detail: string }>()
  return results.map((row) => row.detail).join('\n')
}

/** The body ids `recipient`'s messages reference, oldest first. */
async function bodyIdsOf(recipient: string): Promise<number[]> {
  const { results } = await env.DB.prepare('SELECT body_id FROM messages WHERE recipient = ? ORDER BY seq')
    .bind(recipient)
    .all<{ body_id: number }>()
  return results.map((row) => row.body_id)
}

async function bodyExists(id: number): Promise<boolean> {
  return (await env.DB.prepare('SELECT 1 FROM message_bodies WHERE id = ?').bind(id).first()) !== null
}

/** D1 itself, recording every value bound to a statement (to see what a batch carries). */
function d1RecordingBindings(d1: D1Database, bound: unknown[]): D1Database {
  return new Proxy(d1, {
    get(target, property) {
      if (property === 'prepare') {
        return (query: string) => {
          const statement = target.prepare(query)
          return new Proxy(statement, {
            get(s, p) {
              if (p === 'bind') {
                return (...values: unknown[]) => {
                  bound.push(...values)
                  return s.bind(...values)
                }
              }
              const value = Reflect.get(s, p)
              return typeof value === 'function' ? value.bind(s) : value
            },
          })
        }
      }
      const value = Reflect.get(target, property)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

describe('messages repository (real D1)', () => {
  // Whatever a test did, every body is still referenced by a message, and every message has its body.
  afterEach(async () => {
    const orphans = await env.DB.prepare(
      'SELECT count(*) AS n FROM message_bodies AS b WHERE b.id != 0 AND NOT EXISTS (SELECT 1 FROM messages WHERE body_id = b.id AND body_id != 0)',
    ).first<number>('n')
    expect(orphans, 'bodies no message references').toBe(0)
    // And the other way (no foreign key since migration 0006: the send's batch is what guarantees it).
    const dangling = await env.DB.prepare(
      'SELECT count(*) AS n FROM messages AS m WHERE NOT EXISTS (SELECT 1 FROM message_bodies WHERE id = m.body_id)',
    ).first<number>('n')
    expect(dangling, 'messages whose body is missing').toBe(0)
  })

  describe('listing', () => {
    it('reads a page through the inbox index (recipient, message_box, seq, …), never scanning the table', async () => {
      const plan = await planOf(listPageQuery(db, randomKey(), 'inbox', page(10)))
      expect(plan).toContain('SEARCH messages USING INDEX messages_inbox_idx (recipient=? AND message_box=?)')
      expect(plan).not.toMatch(/SCAN messages\b/)
      // Sizes and bodies are fetched from message_bodies by primary key, one per listed row.
      expect(plan).toContain('SEARCH message_bodies USING INTEGER PRIMARY KEY (rowid=?)')
      expect(plan).not.toMatch(/SCAN message_bodies\b/)
    })

    it('reads exactly as many rows for a page of a 100 000-message box as of a 10-message box', async () => {
      const [small, large] = [randomKey(), randomKey()]
      await fillBox(small, 'inbox', 10)
      await fillBox(large, 'inbox', 100_000)
      const rowsRead = async (recipient: string) => {
        const { sql, params } = listPageQuery(db, recipient, 'inbox', page(5)).getQuery()
        const result = await env.DB.prepare(sql)
          .bind(...params)
          .all()
        expect(result.results).toHaveLength(6) // the page and one row to tell hasMore
        return result.meta.rows_read
      }
      const [fromSmall, fromLarge] = [await rowsRead(small), await rowsRead(large)]
      expect(fromSmall).toBeGreaterThan(0)
      expect(fromLarge, `rows read: small box ${fromSmall}, large box ${fromLarge}`).toBe(fromSmall)
    })

    it('ends a page early once its bodies pass the byte budget, never before the first message', async () => {
      const recipient = randomKey()
      await fillBox(recipient, 'inbox', 5) // bodies 'filler 1'..'filler 5', 8 bytes each
      const within = await listForRecipient(db, recipient, 'inbox', { ...page(10), maxBytes: 20 })
      expect(within.messages.map((m) => m.body)).toEqual(['filler 1', 'filler 2', 'filler 3'])
      expect(within.hasMore).toBe(true)
      const tiny = await listForRecipient(db, recipient, 'inbox', { ...page(10), maxBytes: 1 })
      expect(tiny.messages.map((m) => m.body)).toEqual(['filler 1'])
      expect(tiny.hasMore).toBe(true)
      const all = await listForRecipient(db, recipient, 'inbox', page(10))
      expect(all.messages).toHaveLength(5)
      expect(all.hasMore).toBe(false)
    })
  })

  describe('writeSend', () => {
    it('a single-recipient send keeps its whole body in its row: no body row written, none deleted by its acknowledgement', async () => {
      const recipient = randomKey()
      const body = 'inline ' + 'é'.repeat(1000)
      const before = await countBodies()
      expect(await write(db, send({ body, deliveries: [{ recipient, messageId: 'solo' }] }))).toBe(true)
      expect(await countBodies()).toBe(before)
      expect(await bodyIdsOf(recipient)).toEqual([0])
      const listed = await listForRecipient(db, recipient, 'inbox', page(10))
      expect(listed.messages.map((m) => m.body)).toEqual([body])
      expect(await deleteAcknowledged(db, recipient, ['solo'], Date.now())).toBe(1)
      expect(await countBodies()).toBe(before)
      expect(await bodyExists(0)).toBe(true)
    })

    it('a 100-recipient send stores its body once, binds it once, and every recipient lists it', async () => {
      const recipients = Array.from({ length: 100 }, () => randomKey())
      const body = 'é'.repeat(512 * 1024) // 1 MiB of UTF-8
      const bound: unknown[] = []
      const before = await countBodies()
      const written = await write(
        createDb(d1RecordingBindings(env.DB, bound)),
        send({ body, deliveries: recipients.map((recipient, i) => ({ recipient, messageId: `m${i}` })) }),
      )
      expect(written).toBe(true)
      expect(await countBodies()).toBe(before + 1)
      expect(bound.filter((value) => value === body)).toHaveLength(1)
      const boundChars = bound.reduce<number>((n, v) => n + (typeof v === 'string' ? v.length : 8), 0)
      // Per recipient about a KiB of keys (its own, the sender's, the network's, the box), bound where a quota
      // condition or the rule lookup of its row needs them: 100 recipients stay well under 128 KiB.
      expect(boundChars, 'everything bound besides the body').toBeLessThan(body.length + 128 * 1024)
      const ids = new Set<number>()
      for (const recipient of recipients) {
        const listed = await listForRecipient(db, recipient, 'inbox', page(10))
        expect(listed.messages).toHaveLength(1)
        expect(listed.messages[0]!.body === body, `body listed for ${recipient}`).toBe(true)
        for (const id of await bodyIdsOf(recipient)) ids.add(id)
      }
      expect(ids.size).toBe(1)
    })

    it("each send's rows reference that send's body, also when sends follow each other", async () => {
      const [a, b] = [randomKey(), randomKey()]
      await write(
        db,
        send({ body: 'first', deliveries: [a, b].map((r) => ({ recipient: r, messageId: '1' })) }),
      )
      await write(
        db,
        send({ body: 'second', deliveries: [b, a].map((r) => ({ recipient: r, messageId: '2' })) }),
      )
      for (const recipient of [a, b]) {
        expect((await storedFor(recipient)).map((m) => m.body)).toEqual(['first', 'second'])
      }
    })

    it('a batch that fails at its last statement leaves nothing behind and is a 503', async () => {
      const recipients = [randomKey(), randomKey(), randomKey()]
      const failing = createDb(d1FailingAtEndOfBatch(env.DB))
      const attempt = write(
        failing,
        send({ deliveries: recipients.map((recipient) => ({ recipient, messageId: 'm' })) }),
      )
      await expect(attempt).rejects.toSatisfy(
        (e) => e instanceof RelayError && e.code === 'ERR_STORAGE_UNAVAILABLE' && e.status === 503,
      )
      for (const recipient of recipients) expect(await storedFor(recipient)).toEqual([])
      // The same send through the healthy database then stores every copy.
      await write(db, send({ deliveries: recipients.map((recipient) => ({ recipient, messageId: 'm' })) }))
      for (const recipient of recipients) expect(await storedFor(recipient)).toHaveLength(1)
    })

    it('an expired copy does not block its id from being used again', async () => {
      const recipient = randomKey()
      await fillBox(recipient, 'inbox', 1, Date.now() - 1)
      const reuse = send({ deliveries: [{ recipient, messageId: 'fill-1' }], body: 'new' })
      expect(await write(db, reuse)).toBe(true)
      expect(await storedFor(recipient)).toMatchObject([{ message_id: 'fill-1', body: 'new' }])
    })

    it('an id already waiting for a recipient refuses the whole write: false, nothing of it stored', async () => {
      const [taken, other] = [randomKey(), randomKey()]
      await fillBox(taken, 'inbox', 1)
      const deliveries = [other, taken].map((recipient) => ({ recipient, messageId: 'fill-1' }))
      expect(await write(db, send({ deliveries, body: 'second' }))).toBe(false)
      expect(await storedFor(other)).toEqual([])
      expect((await storedFor(taken)).map((m) => m.body)).toEqual(['filler 1'])
    })

    it('a quota the write would break refuses it inside the write: false, the box unchanged', async () => {
      const recipient = randomKey()
      await fillBox(recipient, 'inbox', 3)
      const over = send({ limits: { inboxMessages: 3 }, deliveries: [{ recipient, messageId: 'fourth' }] })
      expect(await write(db, over)).toBe(false)
      expect(await storedFor(recipient)).toHaveLength(3)
    })

    it("with admitFree, a recipient's blocking rule refuses the write; without it the rule is not consulted", async () => {
      const recipient = randomKey()
      await setPermission(db, { owner: recipient, messageBox: 'inbox', sender: null }, -1, Date.now())
      const deliveries = [{ recipient, messageId: 'm' }]
      expect(await write(db, send({ deliveries }), { admitFree: true })).toBe(false)
      expect(await storedFor(recipient)).toEqual([])
      expect(await write(db, send({ deliveries }))).toBe(true)
      expect(await storedFor(recipient)).toHaveLength(1)
    })
  })

  describe('payment claims (written with the messages)', () => {
    const claimOf = (txid: string, spends: string[]) => ({
      stored: {
        body: 'paid',
        claim: { payment: { txid, sender: randomKey(), createdAt: Date.now() }, spends },
      },
    })

    it('a coin claimed by one paid send breaks the next write that claims it: 409 DOUBLE_SPENT, nothing of it stored', async () => {
      const coin = `${crypto.randomUUID()}.0`
      const [first, second] = [randomKey(), randomKey()]
      // No read of the claims here (the pipeline's early refusal): only the write's key decides.
      const claimed = claimOf('tx-a', [`${crypto.randomUUID()}.1`, coin])
      await write(db, send({ deliveries: [{ recipient: first, messageId: 'a' }] }), claimed)
      const refused = write(
        db,
        send({ deliveries: [{ recipient: second, messageId: 'b' }] }),
        claimOf('tx-b', [coin]),
      )
      await expect(refused).rejects.toMatchObject({ code: 'ERR_PAYMENT_DOUBLE_SPENT', status: 409 })
      expect(await storedFor(second)).toEqual([])
      const { results } = await env.DB.prepare(
        "SELECT txid FROM payments WHERE txid IN ('tx-a', 'tx-b') UNION ALL SELECT txid FROM spent_outpoints WHERE outpoint = ?",
      )
        .bind(coin)
        .all<{ txid: string }>()
      expect(results.map((r) => r.txid)).toEqual(['tx-a', 'tx-a'])
    })

    it('a transaction claimed once breaks the next write that claims it: 409 REPLAYED', async () => {
      const txid = crypto.randomUUID()
      const first = send({ deliveries: [{ recipient: randomKey(), messageId: 'a' }] })
      await write(db, first, claimOf(txid, [`${crypto.randomUUID()}.0`]))
      const second = send({ deliveries: [{ recipient: randomKey(), messageId: 'b' }] })
      const again = write(db, second, claimOf(txid, [`${crypto.randomUUID()}.0`]))
      await expect(again).rejects.toMatchObject({ code: 'ERR_PAYMENT_REPLAYED', status: 409 })
    })

    it('binds a transaction of 200 inputs in one statement (D1 allows 100 bound parameters)', async () => {
      const spends = Array.from({ length: 200 }, (_, i) => `${crypto.randomUUID()}.${i}`)
      const txid = crypto.randomUUID()
      await write(
        db,
        send({ deliveries: [{ recipient: randomKey(), messageId: 'wide' }] }),
        claimOf(txid, spends),
      )
      const n = await env.DB.prepare('SELECT count(*) AS n FROM spent_outpoints WHERE txid = ?')
        .bind(txid)
        .first<number>('n')
      expect(n).toBe(200)
    })
  })

  describe('rows written (what a send is billed)', () => {
    /** A free send's write (admitted inside it) through a recording D1: its calls and rows written. */
    async function countedWrite(deliveries: number) {
      const { db: counted, recording } = recordingD1(env.DB)
      const recipients = Array.from({ length: deliveries }, () => randomKey())
      const s = send({ deliveries: recipients.map((recipient) => ({ recipient, messageId: 'counted' })) })
      expect(await write(createDb(counted), s, { admitFree: true })).toBe(true)
      return { calls: callsOf(recording), recipients }
    }

    it('a free single-recipient write is one D1 call writing 5 rows: the message, its unique id, its inbox, sender and network index entries', async () => {
      const { calls, recipients } = await countedWrite(1)
      expect(calls).toEqual([{ kind: 'batch', rowsWritten: 5 }])
      const listed = await listForRecipient(db, recipients[0]!, 'inbox', page(10))
      expect(listed.messages.map((m) => m.messageId)).toEqual(['counted'])
    })

    it('a free 3-recipient write is one D1 call: its body row and counter, then 6 rows per recipient (the shared-body index entry too)', async () => {
      const { calls } = await countedWrite(3)
      expect(calls).toEqual([{ kind: 'batch', rowsWritten: 2 + 3 * 6 }])
    })
  })

  describe('body lifetime', () => {
    it("the release trigger finds a shared body's other references through its partial index, not by scanning the table", async () => {
      // The listing tests above left a 100 000-message box: a scan would read all of it.
      const stored = await env.DB.prepare('SELECT count(*) AS n FROM messages').first<number>('n')
      expect(stored).toBeGreaterThanOrEqual(100_000)
      const [first, second] = [randomKey(), randomKey()]
      await write(
        db,
        send({ deliveries: [first, second].map((recipient) => ({ recipient, messageId: 'shared' })) }),
      )
      const { meta } = await env.DB.prepare('DELETE FROM messages WHERE recipient = ? AND message_id = ?')
        .bind(first, 'shared')
        .run()
      expect(meta.changes).toBe(1)
      expect(meta.rows_read).toBeLessThan(20)
    })

    it('acknowledging one of two references keeps the body; the other recipient still lists it byte-identical', async () => {
      const [a, b] = [randomKey(), randomKey()]
      const body = '{"x":"\u00e9\ud83d\ude00"} with trailing space '
      await write(db, send({ body, deliveries: [a, b].map((r) => ({ recipient: r, messageId: 'm' })) }))
      const [id] = await bodyIdsOf(a)
      expect(await deleteAcknowledged(db, a, ['m'], Date.now())).toBe(1)
      expect(await bodyExists(id!)).toBe(true)
      const listed = await listForRecipient(db, b, 'inbox', page(10))
      expect(listed.messages.map((m) => m.body)).toEqual([body])
    })

    it('acknowledging the last reference deletes the body', async () => {
      const [a, b] = [randomKey(), randomKey()]
      await write(db, send({ deliveries: [a, b].map((r) => ({ recipient: r, messageId: 'm' })) }))
      const [id] = await bodyIdsOf(a)
      await deleteAcknowledged(db, a, ['m'], Date.now())
      await deleteAcknowledged(db, b, ['m'], Date.now())
      expect(await bodyExists(id!)).toBe(false)
    })

    it('the purge deletes the bodies of the messages it deletes', async () => {
      const recipient = randomKey()
      await fillBox(recipient, 'inbox', 4, Date.now() - 1)
      const ids = await bodyIdsOf(recipient)
      await purgeExpired(db, Date.now(), { rows: 3, bytes: 1024 })
      for (const id of ids) expect(await bodyExists(id)).toBe(false)
    })

    it('purgeExpired counts the messages it deletes, not the bodies deleted with them', async () => {
      const recipient = randomKey()
      // Expired at t = 1000: no other test's rows expire that early, so exactly these are purged.
      await fillBox(recipient, 'inbox', 7, 1000)
      expect(await purgeExpired(db, 1000, { rows: 3, bytes: 1024 })).toBe(7)
      expect(await storedFor(recipient)).toEqual([])
    })

    it("a send that reuses the id of an expired copy releases that copy's body", async () => {
      const recipient = randomKey()
      await fillBox(recipient, 'inbox', 1, Date.now() - 1)
      const [old] = await bodyIdsOf(recipient)
      await write(db, send({ deliveries: [{ recipient, messageId: 'fill-1' }], body: 'new' }))
      expect(await bodyExists(old!)).toBe(false)
      expect(await storedFor(recipient)).toMatchObject([{ message_id: 'fill-1', body: 'new' }])
    })
  })

  describe('expiry purge', () => {
    it('purgeExpired deletes expired messages in chunks and keeps the rest', async () => {
      const [old, current] = [randomKey(), randomKey()]
      await fillBox(old, 'inbox', 7, Date.now() - 1)
      await fillBox(current, 'inbox', 2)
      expect(await purgeExpired(db, Date.now(), { rows: 3, bytes: 1024 })).toBeGreaterThanOrEqual(7)
      expect(await storedFor(old)).toEqual([])
      expect(await storedFor(current)).toHaveLength(2)
    })

    it("the Worker's scheduled handler (cron trigger) purges expired messages", async () => {
      const old = randomKey()
      await fillBox(old, 'inbox', 3, Date.now() - 1)
      await worker.scheduled(createScheduledController({ cron: '17 * * * *' }), env)
      expect(await storedFor(old)).toEqual([])
    })
  })
})
