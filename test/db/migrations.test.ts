import { applyD1Migrations, env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { createDb } from '../../src/db/client'
import { deleteAcknowledged, deliverMessages, listForRecipient, listPageQuery } from '../../src/db/messages'
import { randomKey } from '../helpers/messages'

const d1 = env.MIGRATION_DB
const db = createDb(d1)
const NEVER = Number.MAX_SAFE_INTEGER
const page = () => ({ limit: 10, offset: 0, now: Date.now(), maxBytes: 8 * 1024 * 1024 })

/** A row as migration 0000 stored it: the body inline, one copy per recipient. */
function oldRow(recipient: string, messageId: string, body: string, sender: string, expiresAt = NEVER) {
  return d1
    .prepare(
      `INSERT INTO messages (message_id, recipient, message_box, sender, body, created_at, expires_at)
       VALUES (?, ?, 'inbox', ?, ?, ?, ?)`,
    )
    .bind(messageId, recipient, sender, body, 1_700_000_000_000, expiresAt)
}

describe('migrations (a database deployed at 0000 keeps its messages)', () => {
  it('moves the bodies of existing messages into message_bodies; listing, acknowledging and sending work after', async () => {
    const [first, ...rest] = env.TEST_MIGRATIONS
    expect(first!.name).toBe('0000_messages.sql')
    expect(rest.length).toBeGreaterThan(0)
    await applyD1Migrations(d1, [first!])

    const [alice, bob, carol] = [randomKey(), randomKey(), randomKey()]
    const shared = '{"emoji":"😀","é":1}  trailing  '
    const big = 'x'.repeat(1024 * 1024)
    await d1.batch([
      // One multi-recipient send as 0000 stored it: the body once per recipient.
      oldRow(bob, 'shared', shared, alice),
      oldRow(carol, 'shared', shared, alice),
      oldRow(bob, 'big', big, carol),
      oldRow(bob, 'gone', 'expired', alice, Date.now() - 1),
    ])

    await applyD1Migrations(d1, env.TEST_MIGRATIONS) // skips 0000, applies the rest

    const columns = await d1.prepare("SELECT name FROM pragma_table_info('messages')").all<{ name: string }>()
    expect(columns.results.map((c) => c.name)).not.toContain('body')
    const listed = await listForRecipient(db, bob, 'inbox', page())
    expect(listed.messages.map((m) => [m.messageId, m.sender, m.createdAt])).toEqual([
      ['shared', alice, 1_700_000_000_000],
      ['big', carol, 1_700_000_000_000],
    ])
    expect(listed.messages[0]!.body).toBe(shared)
    expect(listed.messages[1]!.body === big).toBe(true)
    expect((await listForRecipient(db, carol, 'inbox', page())).messages.map((m) => m.body)).toEqual([shared])

    // The migrated database plans the listing as a fresh one does.
    const { sql, params } = listPageQuery(db, bob, 'inbox', page()).getQuery()
    const plan = await d1
      .prepare(`EXPLAIN QUERY PLAN ${sql}`)
      .bind(...params)
      .all<{ detail: string }>()
    expect(plan.results.map((r) => r.detail).join('\n')).toContain(
      'SEARCH messages USING INDEX messages_recipient_box_seq_idx (recipient=? AND message_box=?)',
    )

    // The trigger is in place: the last reference takes its body along.
    const bodies = () => d1.prepare('SELECT count(*) AS n FROM message_bodies').first<number>('n')
    expect(await bodies()).toBe(4)
    expect(await deleteAcknowledged(db, bob, ['big', 'gone'], Date.now())).toBe(1)
    expect(await bodies()).toBe(2)

    // A send after the migration stores its own body and lists after the moved rows.
    await deliverMessages(db, {
      sender: alice,
      messageBox: 'inbox',
      body: 'after',
      deliveries: [bob, carol].map((recipient) => ({ recipient, messageId: 'after' })),
      now: Date.now(),
      expiresAt: NEVER,
      quota: 10_000,
    })
    expect(await bodies()).toBe(3)
    expect((await listForRecipient(db, bob, 'inbox', page())).messages.map((m) => m.body)).toEqual([
      shared,
      'after',
    ])
    expect((await listForRecipient(db, carol, 'inbox', page())).messages.map((m) => m.body)).toEqual([
      shared,
      'after',
    ])
  })
})
