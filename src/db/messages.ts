import { and, eq, gt, inArray, lte, sql } from 'drizzle-orm'
import { messageBodies, messages } from '../../schema'
import { RelayError } from '../errors'
import type { Db } from './client'
import { allowedBy, freeUnderRules } from './permissions'
import { brokenClaimKey, claimStatements, type PaymentClaim } from './payment-claims'
import { fitsQuotas, type QuotaSubject } from './quotas'
import { guardStorage, isNotNullViolation, isUniqueViolation, storageUnavailable } from './storage-errors'
import { utf8Length } from '../text'

/** One recipient's copy of a send: canonical key and the id it is stored under. */
export interface Delivery {
  recipient: string
  messageId: string
}

/** A validated send, ready to store: one body into one box for one or more recipients. */
export interface Send extends QuotaSubject {
  messageBox: string
  /** The stored form (string as sent, object as JSON, or the payment wrapper); `size` is its UTF-8 length. */
  body: string
  deliveries: Delivery[]
  /** Milliseconds since the epoch; Number.MAX_SAFE_INTEGER for "never". */
  expiresAt: number
  /** The largest row (shared body plus a recipient's own ending) D1 may be given (under its 2 MB row limit). */
  maxStoredBytes: number
}

/** What became of one delivery: stored now, or already stored by an identical earlier send. */
export interface DeliveryResult extends Delivery {
  duplicate: boolean
}

/** A listed message, as stored. */
export interface ListedMessage {
  messageId: string
  body: string
  sender: string
  createdAt: number
}

/** How a send is stored, settled once its payment (if one is owed) has been verified. */
export interface StoredForm {
  /** The body stored once for every recipient (`message_bodies`). */
  body: string
  /** A paid send: each recipient's own ending of the body (its payment outputs), by recipient. */
  suffixes?: ReadonlyMap<string, string>
  /** A paid send: its transaction and coins, claimed in the same batch (each pays for one send only). */
  claim?: PaymentClaim
}

/** What a send's write carries besides the send itself. */
export interface SendWrite {
  /** The recipients not yet holding this send (an idempotent repeat is not written again). */
  fresh: Delivery[]
  stored: StoredForm
  /** UTF-8 bytes of `stored.body` (measured once by the caller). */
  bodyBytes: number
  /**
   * Admit the send inside its write: each row also needs its recipient's rules to let the sender in free
   * (`freeUnderRules`). For a send written before anything was read (src/delivery/send-pipeline.ts).
   */
  admitFree?: boolean
}

/**
 * Stores a send for every fresh recipient or for none, in one D1 batch (one transaction): its body once, one
 * row per recipient referencing it (with its own ending, for a paid send), and a paid send's claim. The
 * quotas (src/db/quotas.ts), and with `admitFree` the admission, are conditions inside the write, so
 * concurrent sends cannot overshoot them; the UNIQUE (recipient, message_id) index makes a second copy
 * impossible.
 * @returns false when the database refused it (an id taken, a quota or the admission broken, perhaps by a
 *   concurrent send): nothing was written, and the caller reads to learn which check fails.
 * @throws RelayError ERR_PAYMENT_REPLAYED or ERR_PAYMENT_DOUBLE_SPENT (409: the transaction, or a coin it
 *   spends, paid for another send), ERR_STORAGE_UNAVAILABLE (503; nothing was stored).
 */
export async function writeSend(db: Db, send: Send, write: SendWrite): Promise<boolean> {
  try {
    await insertAll(db, send, write)
    return true
  } catch (error) {
    const broken = write.stored.claim ? brokenClaimKey(error) : null
    if (broken === 'replayed') {
      throw new RelayError(
        'ERR_PAYMENT_REPLAYED',
        `Transaction ${write.stored.claim!.payment.txid} already paid for another message.`,
      )
    }
    if (broken === 'double-spent') {
      throw new RelayError(
        'ERR_PAYMENT_DOUBLE_SPENT',
        'This payment spends a coin that another payment has just spent; nothing was stored.',
      )
    }
    if (isUniqueViolation(error) || isNotNullViolation(error, 'message_box')) return false
    throw storageUnavailable('send', error)
  }
}

/**
 * The recipients whose id is already waiting from this sender in this box (idempotent repeats).
 * @throws RelayError('ERR_DUPLICATE_MESSAGE') when an id waits from another sender or in another box.
 */
export async function findRepeats(db: Db, send: Send): Promise<Set<string>> {
  const pairs = JSON.stringify(send.deliveries.map((d) => [d.recipient, d.messageId]))
  const existing = await guardStorage('read before send', () =>
    db
      .select({ recipient: messages.recipient, sender: messages.sender, messageBox: messages.messageBox })
      .from(messages)
      .where(
        and(
          // One bound parameter whatever the recipient count (D1 allows 100 per statement).
          sql`(${messages.recipient}, ${messages.messageId}) IN
            (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(${pairs}))`,
          gt(messages.expiresAt, send.now),
        ),
      ),
  )
  const repeats = new Set<string>()
  for (const row of existing) {
    if (row.sender !== send.sender || row.messageBox !== send.messageBox) {
      const id = send.deliveries.find((d) => d.recipient === row.recipient)?.messageId
      throw new RelayError(
        'ERR_DUPLICATE_MESSAGE',
        `Message ${JSON.stringify(id)} is already waiting for recipient ${row.recipient}.`,
      )
    }
    repeats.add(row.recipient)
  }
  return repeats
}

/**
 * The empty body (migration 0005) that a single-recipient message points at: its body is all in its own
 * row's `body_suffix`. Never released by the trigger.
 */
const INLINE_BODY_ID = 0

/**
 * One batch = one transaction: the body and every row are written, or a constraint failure rolls back all
 * of them. The body is bound once, whatever the recipient count (100 copies of a 1 MiB body would not fit
 * in a Worker's memory).
 */
async function insertAll(db: Db, send: Send, write: SendWrite): Promise<void> {
  const { fresh, stored, bodyBytes } = write
  const pairs = JSON.stringify(fresh.map((d) => [d.recipient, d.messageId]))
  // An expired copy still holds its id in the UNIQUE index until the purge; it is not waiting, so clear it.
  const clearExpired = db.delete(messages).where(
    and(
      sql`(${messages.recipient}, ${messages.messageId}) IN
          (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(${pairs}))`,
      lte(messages.expiresAt, send.now),
    ),
  )
  // One recipient: the whole body goes in its row (no body row to write now or to delete later). Several:
  // the body is stored once and each row points at it, with its own ending when it has one.
  const inline = fresh.length === 1
  const storeBody = inline ? [] : [db.insert(messageBodies).values({ body: stored.body })]
  // The body just stored has the largest id (AUTOINCREMENT) until this transaction ends, and no other
  // write can interleave with a batch. Not last_insert_rowid(): the first message row would replace it
  // with its own seq, and the next rows would point at that.
  const bodyId = inline ? INLINE_BODY_ID : sql`(SELECT max(${messageBodies.id}) FROM ${messageBodies})`
  const inserts = fresh.map((d, i) => {
    const suffix = stored.suffixes?.get(d.recipient) ?? null
    const bodySuffix = inline ? stored.body + (suffix ?? '') : suffix
    // Whether the sender is a stranger to this recipient is decided in the write, as the quotas are.
    const stranger = sql`NOT ${allowedBy(sql`${d.recipient}`, send.messageBox, send.sender)}`
    return db.insert(messages).values({
      messageId: d.messageId,
      recipient: d.recipient,
      sender: send.sender,
      bodyId,
      createdAt: send.now,
      expiresAt: send.expiresAt,
      bodySuffix,
      size: bodyBytes + utf8Length(suffix ?? ''),
      stranger: sql`${stranger}`,
      network: send.network,
      // The quotas (and a write-first send's admission) inside the write: a row that would break one gets
      // a NULL box, the NOT NULL constraint fails and the whole batch rolls back, so concurrent sends cannot
      // overshoot them. The first row also checks the sender's totals for the whole send.
      messageBox: sql`CASE WHEN ${fitsQuotas(send, d.recipient, stranger, i === 0 && fresh.length)}
        ${write.admitFree ? sql`AND ${freeUnderRules(d.recipient, send.messageBox, send.sender)}` : sql``}
        THEN ${send.messageBox} END`,
    })
  })
  const claim = stored.claim ? claimStatements(db, stored.claim) : []
  await db.batch([clearExpired, ...storeBody, ...inserts, ...claim])
}

/**
 * One page of `recipient`'s unexpired messages in `messageBox`, oldest first, read as a range of the
 * (recipient, message_box, seq) index, each body looked up by its id. The page also ends early once its
 * bodies pass `page.maxBytes` (never before its first message), so a box of 1 MiB bodies cannot build a
 * response the Worker cannot hold.
 * @throws RelayError('ERR_STORAGE_UNAVAILABLE')
 */
export async function listForRecipient(
  db: Db,
  recipient: string,
  messageBox: string,
  page: Page,
): Promise<{ messages: ListedMessage[]; hasMore: boolean }> {
  const rows = await guardStorage('list', () => listPageQuery(db, recipient, messageBox, page))
  // Running sizes only grow, so the rows that carry a body are a prefix of the page.
  const fitting = rows.filter((row): row is ListedMessage => row.body !== null).slice(0, page.limit)
  return { messages: fitting, hasMore: rows.length > fitting.length }
}

/** Which slice of a box to list, the clock that decides what has expired, and the page's body budget. */
export interface Page {
  limit: number
  offset: number
  now: number
  /** UTF-8 bytes of bodies one page may carry; the first message is always included. */
  maxBytes: number
}

type PageRow = Omit<ListedMessage, 'body'> & { body: string | null }

/**
 * The listing query: `limit + 1` rows (the extra one tells whether more follow), each with the running
 * total of body sizes, and the body itself only while that total is within budget (bodies past it are
 * never read into the Worker). Exported so a test can check its plan and the rows it reads.
 */
export function listPageQuery(db: Db, recipient: string, messageBox: string, page: Page) {
  // The (recipient, message_box, seq) prefix of the inbox index is the page's range, in order; the expiry
  // check reads the index entry's own expires_at. Each shared body is one primary-key lookup in
  // message_bodies (a scalar subquery keeps the index range driving the query).
  return db.all<PageRow>(sql`
    SELECT p.message_id AS messageId, p.sender AS sender, p.created_at AS createdAt,
      CASE WHEN p.running - p.size < ${page.maxBytes}
        THEN (SELECT body FROM message_bodies WHERE id = p.body_id) || coalesce(p.body_suffix, '') END AS body
    FROM (
      -- The running total over the page alone: a window outside LIMIT/OFFSET would also sum the skipped rows.
      SELECT q.*, sum(q.size) OVER (ORDER BY q.seq) AS running
      FROM (
        SELECT seq, message_id, sender, created_at, body_id, body_suffix, size
        FROM messages
        WHERE recipient = ${recipient} AND message_box = ${messageBox} AND expires_at > ${page.now}
        ORDER BY seq
        LIMIT ${page.limit + 1} OFFSET ${page.offset}
      ) AS q
    ) AS p
    ORDER BY p.seq`)
}

/** One box holding messages for a recipient: how many, and the UTF-8 size of their stored bodies. */
export interface BoxSummary {
  messageBox: string
  count: number
  bytes: number
}

/**
 * Every box holding unexpired messages for `recipient`, by name; the inbox quota bounds the rows read.
 * @throws RelayError('ERR_STORAGE_UNAVAILABLE')
 */
export async function boxesOf(db: Db, recipient: string, now: number): Promise<BoxSummary[]> {
  return guardStorage('list boxes', () =>
    db.all<BoxSummary>(sql`
      SELECT m.message_box AS messageBox, count(*) AS count,
        sum(m.size) AS bytes
      FROM messages AS m
      WHERE m.recipient = ${recipient} AND m.expires_at > ${now}
      GROUP BY m.message_box
      ORDER BY m.message_box`),
  )
}

/**
 * Deletes `recipient`'s messages with these ids, in any box; a body goes with its last message (migration
 * 0001's trigger). Returns how many of them were still waiting (expired ones are deleted too but not
 * counted: they were no longer deliverable).
 * @throws RelayError('ERR_STORAGE_UNAVAILABLE')
 */
export async function deleteAcknowledged(
  db: Db,
  recipient: string,
  messageIds: string[],
  now: number,
): Promise<number> {
  const ids = JSON.stringify(messageIds)
  const deleted = await guardStorage('acknowledge', () =>
    db
      .delete(messages)
      .where(
        and(
          eq(messages.recipient, recipient),
          sql`${messages.messageId} IN (SELECT value FROM json_each(${ids}))`,
        ),
      )
      .returning({ expiresAt: messages.expiresAt }),
  )
  return deleted.filter((row) => row.expiresAt > now).length
}

/** How much one purge statement may delete: D1 bounds a statement's duration, so a chunk is bounded by both. */
export interface PurgeChunk {
  rows: number
  /** Stored bytes (the messages' `size`); a chunk always takes at least one message. */
  bytes: number
}

const DEFAULT_PURGE_CHUNK: PurgeChunk = { rows: 1000, bytes: 16 * 1024 * 1024 }

/**
 * Deletes messages expired at `now` (and, by trigger, bodies no message references any more) in one pass
 * over the table in arrival order (`seq`, the rowid: no expiry index to write on every send), in statements
 * of at most `chunk.rows` messages and `chunk.bytes` stored bytes, and at most `maxChunks` statements per
 * call: what is left waits for the next run (listing hides it meanwhile). A pass reads every waiting row
 * once; rows read cost a thousandth of rows written. Returns how many messages were deleted.
 * @throws RelayError('ERR_STORAGE_UNAVAILABLE')
 */
export async function purgeExpired(
  db: Db,
  now: number,
  chunk: PurgeChunk = DEFAULT_PURGE_CHUNK,
  maxChunks = 200,
): Promise<number> {
  let total = 0
  // Everything up to `after` was looked at: a chunk's unexpired rows come before its last deleted seq.
  let after = 0
  for (let i = 0; i < maxChunks; i++) {
    // The next expired rows after the cursor, cut where their running size passes the byte bound.
    const expired = sql`(SELECT seq FROM (
        SELECT seq, size, sum(size) OVER (ORDER BY seq) AS running FROM (
          SELECT seq, size FROM messages WHERE seq > ${after} AND expires_at <= ${now}
          ORDER BY seq LIMIT ${chunk.rows}))
      WHERE running - size < ${chunk.bytes})`
    // Counted from RETURNING: D1's meta.changes also counts the bodies the trigger deletes.
    const deleted = await guardStorage('purge', () =>
      db.delete(messages).where(inArray(messages.seq, expired)).returning({ seq: messages.seq }),
    )
    total += deleted.length
    if (deleted.length === 0) return total
    after = Math.max(...deleted.map((row) => row.seq))
  }
  return total
}
