import { createScheduledController, env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { createDb } from '../../src/db/client'
import {
  deliverMessages,
  listForRecipient,
  listPageQuery,
  purgeExpired,
  type Send,
} from '../../src/db/messages'
import { RelayError } from '../../src/errors'
import worker from '../../src/index'
import { d1FailingAtEndOfBatch } from '../helpers/failing-d1'
import { fillBox, randomKey, storedFor } from '../helpers/messages'

const db = createDb(env.DB)
const NEVER = Number.MAX_SAFE_INTEGER

function send(overrides: Partial<Send> & Pick<Send, 'deliveries'>): Send {
  return {
    sender: randomKey(),
    messageBox: 'inbox',
    body: 'b',
    now: Date.now(),
    expiresAt: NEVER,
    quota: 10_000,
    ...overrides,
  }
}

const page = (limit: number) => ({ limit, offset: 0, now: Date.now(), maxBytes: 8 * 1024 * 1024 })

async function planOf(query: { getQuery(): { sql: string; params: unknown[] } }): Promise<string> {
  const { sql, params } = query.getQuery()
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .bind(...params)
    .all<{ detail: string }>()
  return results.map((row) => row.detail).join('\n')
}

describe('messages repository (real D1)', () => {
  describe('listing', () => {
    it('reads a page through the (recipient, message_box, seq) index, never scanning the table', async () => {
      const plan = await planOf(listPageQuery(db, randomKey(), 'inbox', page(10)))
      expect(plan).toContain(
        'SEARCH messages USING INDEX messages_recipient_box_seq_idx (recipient=? AND message_box=?)',
      )
      expect(plan).not.toMatch(/SCAN messages\b/)
      // Bodies are fetched by primary key, one per listed row.
      expect(plan).toContain('SEARCH messages USING INTEGER PRIMARY KEY (rowid=?)')
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

  describe('deliverMessages', () => {
    it('a batch that fails at its last statement leaves nothing behind and is a 503', async () => {
      const recipients = [randomKey(), randomKey(), randomKey()]
      const failing = createDb(d1FailingAtEndOfBatch(env.DB))
      const attempt = deliverMessages(
        failing,
        send({ deliveries: recipients.map((recipient) => ({ recipient, messageId: 'm' })) }),
      )
      await expect(attempt).rejects.toSatisfy(
        (e) => e instanceof RelayError && e.code === 'ERR_STORAGE_UNAVAILABLE' && e.status === 503,
      )
      for (const recipient of recipients) expect(await storedFor(recipient)).toEqual([])
      // The same send through the healthy database then stores every copy.
      await deliverMessages(
        db,
        send({ deliveries: recipients.map((recipient) => ({ recipient, messageId: 'm' })) }),
      )
      for (const recipient of recipients) expect(await storedFor(recipient)).toHaveLength(1)
    })

    it('concurrent identical sends store one copy; the others come back as duplicates', async () => {
      const recipient = randomKey()
      const same = send({ deliveries: [{ recipient, messageId: 'idem' }] })
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) => deliverMessages(db, { ...same, body: `try ${i}` })),
      )
      expect(results.filter(([r]) => !r!.duplicate)).toHaveLength(1)
      expect(await storedFor(recipient)).toHaveLength(1)
    })

    it('concurrent sends of one id by different senders: exactly one is stored, the rest are ERR_DUPLICATE_MESSAGE', async () => {
      const recipient = randomKey()
      const outcomes = await Promise.allSettled(
        Array.from({ length: 6 }, () =>
          deliverMessages(db, send({ deliveries: [{ recipient, messageId: 'contested' }] })),
        ),
      )
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1)
      for (const o of outcomes) {
        if (o.status === 'rejected') expect((o.reason as RelayError).code).toBe('ERR_DUPLICATE_MESSAGE')
      }
      expect(await storedFor(recipient)).toHaveLength(1)
    })

    it('the quota holds under concurrent sends: one slot left, one of six stores', async () => {
      const recipient = randomKey()
      await fillBox(recipient, 'inbox', 4)
      const outcomes = await Promise.allSettled(
        Array.from({ length: 6 }, (_, i) =>
          deliverMessages(db, send({ quota: 5, deliveries: [{ recipient, messageId: `q${i}` }] })),
        ),
      )
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1)
      for (const o of outcomes) {
        if (o.status === 'rejected') expect((o.reason as RelayError).code).toBe('ERR_INBOX_QUOTA_EXCEEDED')
      }
      expect(await storedFor(recipient)).toHaveLength(5)
    })

    it('an expired copy does not block its id from being used again', async () => {
      const recipient = randomKey()
      await fillBox(recipient, 'inbox', 1, Date.now() - 1)
      const [result] = await deliverMessages(
        db,
        send({ deliveries: [{ recipient, messageId: 'fill-1' }], body: 'new' }),
      )
      expect(result!.duplicate).toBe(false)
      expect(await storedFor(recipient)).toMatchObject([{ message_id: 'fill-1', body: 'new' }])
    })
  })

  describe('expiry purge', () => {
    it('purgeExpired deletes expired messages in chunks and keeps the rest', async () => {
      const [old, current] = [randomKey(), randomKey()]
      await fillBox(old, 'inbox', 7, Date.now() - 1)
      await fillBox(current, 'inbox', 2)
      expect(await purgeExpired(db, Date.now(), 3)).toBeGreaterThanOrEqual(7)
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
