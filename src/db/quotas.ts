import { type SQL, sql } from 'drizzle-orm'
import { messages } from '../../schema'
import { RelayError } from '../errors'
import type { Db } from './client'
import { guardStorage } from './storage-errors'

/**
 * What any one identity may have waiting (contract.md limits table). Each quota is enforced twice: read
 * before the write, to answer with the right code, and again inside the write itself, so concurrent sends
 * cannot overshoot it (src/db/messages.ts).
 */
export interface QuotaLimits {
  /** Messages waiting for one recipient. */
  inboxMessages: number
  /** Stored bytes waiting for one recipient. */
  inboxBytes: number
  /** Messages one sender has waiting for one recipient: a share of the inbox, so no one sender can fill it. */
  senderPerRecipient: number
  /** Messages one sender has waiting, all recipients together. */
  senderMessages: number
  /** Stored bytes one sender has waiting, all recipients together. */
  senderBytes: number
  /** D1's size limit: sends are refused above 90 % of it, so lists and acknowledgements can free space. */
  maxDatabaseBytes: number
}

/** The part of a send the quotas look at. */
export interface QuotaSubject {
  sender: string
  /** UTF-8 bytes of the stored body, for each recipient. */
  size: number
  /** Milliseconds since the epoch: what has expired is not waiting. */
  now: number
  limits: QuotaLimits
}

/** Usage before a send: per recipient, the sender's totals, and the database's size. */
export interface Usage {
  recipients: Map<string, { waiting: number; bytes: number; fromSender: number }>
  sender: { waiting: number; bytes: number }
  /** D1's `size_after` of the read, or null where the platform does not report it. */
  databaseBytes: number | null
}

// Sends stop here, short of the database's limit: the rest is for what must keep working.
const DATABASE_FULL_RATIO = 0.9

/**
 * The database size D1 last reported to this isolate (null: the platform does not report it), and when.
 * A send written before any read (src/db/messages.ts) cannot see the size; it goes ahead only while this
 * report is recent and well short of the full ratio, so other isolates' writes since cannot carry the
 * database past it. Otherwise the send reads first, which refreshes the report.
 */
let reportedSize: { bytes: number | null; at: number } | undefined
const SIZE_REPORT_TRUSTED_MS = 60_000
const WRITE_FIRST_RATIO = 0.8

/** Whether a send may skip the size check of its reads: see `reportedSize`. */
export function hasRoomWithoutReading(subject: QuotaSubject): boolean {
  if (reportedSize === undefined || subject.now - reportedSize.at > SIZE_REPORT_TRUSTED_MS) return false
  const { bytes } = reportedSize
  return bytes === null || bytes <= subject.limits.maxDatabaseBytes * WRITE_FIRST_RATIO
}

/**
 * Reads the usage the quotas of a send to `recipients` depend on, in one round trip (a D1 batch of two
 * statements, issued on the binding itself for its `meta.size_after`). Every count and sum is a range of
 * an index that carries `size`; no body is read.
 * @throws RelayError('ERR_STORAGE_UNAVAILABLE')
 */
export async function readUsage(db: Db, subject: QuotaSubject, recipients: string[]): Promise<Usage> {
  const { sender, now, limits } = subject
  const perRecipient = db.$client
    .prepare(
      `SELECT r.value AS recipient,
        (SELECT count(*) FROM (SELECT 1 FROM messages WHERE recipient = r.value AND expires_at > ?1 LIMIT ?2)) AS waiting,
        (SELECT coalesce(sum(size), 0) FROM messages WHERE recipient = r.value AND expires_at > ?1) AS bytes,
        (SELECT count(*) FROM (SELECT 1 FROM messages
          WHERE sender = ?3 AND recipient = r.value AND expires_at > ?1 LIMIT ?4)) AS fromSender
      FROM json_each(?5) AS r`,
    )
    .bind(now, limits.inboxMessages, sender, limits.senderPerRecipient, JSON.stringify(recipients))
  const totals = db.$client
    .prepare(
      `SELECT count(*) AS waiting, coalesce(sum(size), 0) AS bytes FROM messages
      WHERE sender = ?1 AND expires_at > ?2`,
    )
    .bind(sender, now)
  const [byRecipient, bySender] = await guardStorage('quota', () =>
    db.$client.batch<Record<string, unknown>>([perRecipient, totals]),
  )
  const rows = (byRecipient?.results ?? []) as UsageRow[]
  const total = (bySender?.results[0] ?? { waiting: 0, bytes: 0 }) as Usage['sender']
  const sizeAfter = byRecipient?.meta.size_after
  reportedSize = { bytes: typeof sizeAfter === 'number' ? sizeAfter : null, at: now }
  return {
    recipients: new Map(rows.map(({ recipient, ...counts }) => [recipient, counts])),
    sender: total,
    databaseBytes: typeof sizeAfter === 'number' ? sizeAfter : null,
  }
}

type UsageRow = { recipient: string; waiting: number; bytes: number; fromSender: number }

/**
 * The first quota a send of one more message to each of `fresh` would break, as its error, in the order of
 * the contract's limits table; nothing when the send fits.
 * @throws RelayError ERR_STORAGE_FULL (507), ERR_INBOX_QUOTA_EXCEEDED / ERR_SENDER_QUOTA_EXCEEDED (429)
 */
export function checkQuotas(usage: Usage, subject: QuotaSubject, fresh: string[]): void {
  const { size, limits } = subject
  if (usage.databaseBytes !== null && usage.databaseBytes > limits.maxDatabaseBytes * DATABASE_FULL_RATIO) {
    throw new RelayError('ERR_STORAGE_FULL', 'The relay is out of storage for new messages; try again later.')
  }
  for (const recipient of fresh) {
    const used = usage.recipients.get(recipient) ?? { waiting: 0, bytes: 0, fromSender: 0 }
    if (used.waiting >= limits.inboxMessages) {
      throw inboxFull(recipient, 'messages', limits.inboxMessages)
    }
    if (used.bytes + size > limits.inboxBytes) throw inboxFull(recipient, 'bytes', limits.inboxBytes)
    if (used.fromSender >= limits.senderPerRecipient) {
      throw new RelayError(
        'ERR_SENDER_QUOTA_EXCEEDED',
        `You already have ${limits.senderPerRecipient} messages waiting for ${recipient}.`,
        { resource: 'messages', limit: limits.senderPerRecipient, recipient },
      )
    }
  }
  if (usage.sender.waiting + fresh.length > limits.senderMessages) {
    throw senderFull('messages', limits.senderMessages)
  }
  if (usage.sender.bytes + size * fresh.length > limits.senderBytes) {
    throw senderFull('bytes', limits.senderBytes)
  }
}

function inboxFull(recipient: string, resource: 'messages' | 'bytes', limit: number): RelayError {
  return new RelayError(
    'ERR_INBOX_QUOTA_EXCEEDED',
    `Recipient ${recipient} has no room for more ${resource}; try again after it acknowledges some.`,
    { resource, limit, recipient },
  )
}

function senderFull(resource: 'messages' | 'bytes', limit: number): RelayError {
  return new RelayError(
    'ERR_SENDER_QUOTA_EXCEEDED',
    `You have ${limit} ${resource} waiting; more can be sent once recipients acknowledge them.`,
    { resource, limit },
  )
}

/**
 * The quotas as one SQL condition, for the write of `recipient`'s row: true while the row fits. With
 * `senderTotals`, it also checks the sender's totals for all `count` rows of the send (the first row's
 * statement does this once; rows of one batch are written one after the other in one transaction).
 */
export function fitsQuotas(subject: QuotaSubject, recipient: string, senderTotals: false | number): SQL {
  const { sender, size, now, limits } = subject
  // Limits are validated integers: inlined, so a 100-recipient batch binds little beyond keys.
  const n = (value: number) => sql.raw(String(value))
  const unexpired = sql`${messages.expiresAt} > ${now}`
  // Each count or sum is bounded by its own quota, which is what keeps the rows it reads small.
  const perRecipient = sql`
    (SELECT count(*) < ${n(limits.inboxMessages)}
      AND coalesce(sum(${messages.size}), 0) + ${n(size)} <= ${n(limits.inboxBytes)}
      FROM ${messages} WHERE ${messages.recipient} = ${recipient} AND ${unexpired})
    AND (SELECT count(*) < ${n(limits.senderPerRecipient)} FROM ${messages}
      WHERE ${messages.sender} = ${sender} AND ${messages.recipient} = ${recipient} AND ${unexpired})`
  if (senderTotals === false) return perRecipient
  return sql`${perRecipient}
    AND (SELECT count(*) + ${n(senderTotals)} <= ${n(limits.senderMessages)}
      AND coalesce(sum(${messages.size}), 0) + ${n(size * senderTotals)} <= ${n(limits.senderBytes)}
      FROM ${messages} WHERE ${messages.sender} = ${sender} AND ${unexpired})`
}
