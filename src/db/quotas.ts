import { type SQL, sql } from 'drizzle-orm'
import { SQLiteAsyncDialect } from 'drizzle-orm/sqlite-core'
import { messages } from '../../schema'
import { RelayError } from '../errors'
import type { Db } from './client'
import { allowedBy } from './permissions'
import { guardStorage } from './storage-errors'

/**
 * What any one identity, any one client network and all strangers together may have waiting (docs/contract.md
 * limits table and "Identities are free"). Each quota is enforced twice: read before the write, to answer
 * with the right code, and again inside the write itself, so concurrent sends cannot overshoot it
 * (src/db/messages.ts).
 */
export interface QuotaLimits {
  /** Messages waiting for one recipient. */
  inboxMessages: number
  /** Stored bytes waiting for one recipient. */
  inboxBytes: number
  /**
   * Messages one sender (and one network) has waiting for one recipient: a share of the inbox, so no one
   * sender can fill it. A network may also hold a tenth of the inbox's bytes.
   */
  senderPerRecipient: number
  /** Messages one sender has waiting, all recipients together. */
  senderMessages: number
  /** Stored bytes one sender has waiting, all recipients together. */
  senderBytes: number
  /** Stored bytes one client network has waiting in the whole store. */
  networkBytes: number
  /** The fraction of an inbox's quotas that senders the recipient has not allowed may hold together. */
  strangerShare: number
  /** D1's size limit: sends are refused above 90 % of it, so lists and acknowledgements can free space. */
  maxDatabaseBytes: number
  /** The fraction of it above which the store is under pressure (heavy senders pay; src/permissions/). */
  storagePressure: number
}

/** The part of a send the quotas look at. */
export interface QuotaSubject {
  sender: string
  /** The sender's client network, as stored (a keyed hash). */
  network: string
  /** Whether the recipient allowed the sender is a rule for this box (or `*`). */
  messageBox: string
  /** UTF-8 bytes of the stored body, for each recipient. */
  size: number
  /** Milliseconds since the epoch: what has expired is not waiting. */
  now: number
  limits: QuotaLimits
}

/** One recipient's inbox before a send, as the quotas see it. */
export interface RecipientUsage {
  waiting: number
  bytes: number
  /** What senders it has not allowed hold, all together. */
  strangerWaiting: number
  strangerBytes: number
  fromSender: number
  fromNetwork: number
  networkBytes: number
  /** Whether it allowed this sender by name (else the sender is a stranger to it). */
  allowed: boolean
}

/** Usage before a send: per recipient, the sender's and its network's totals, and the database's size. */
export interface Usage {
  recipients: Map<string, RecipientUsage>
  sender: { waiting: number; bytes: number }
  networkBytes: number
  /** D1's `size_after` of the read, or null where the platform does not report it. */
  databaseBytes: number | null
}

// Sends stop here, short of the database's limit: the rest is for what must keep working.
const DATABASE_FULL_RATIO = 0.9

/** A network may hold this fraction of a recipient's inbox bytes, as a sender may of its messages. */
const NETWORK_INBOX_SHARE = 0.1

/**
 * The database size D1 last reported to this isolate (null: the platform does not report it), and when.
 * A send written before any read (src/db/messages.ts) cannot see the size; it goes ahead only while this
 * report is recent and below the pressure ratio, so other isolates' writes since cannot carry the
 * database past the full ratio, and a heavy sender under pressure is always read first (and charged).
 * Otherwise the send reads first, which refreshes the report.
 */
let reportedSize: { bytes: number | null; at: number } | undefined
const SIZE_REPORT_TRUSTED_MS = 60_000

/** Whether a send may skip the size check of its reads: see `reportedSize`. */
export function hasRoomWithoutReading(subject: QuotaSubject): boolean {
  if (reportedSize === undefined || subject.now - reportedSize.at > SIZE_REPORT_TRUSTED_MS) return false
  const { bytes } = reportedSize
  return bytes === null || bytes < subject.limits.maxDatabaseBytes * subject.limits.storagePressure
}

/**
 * Whether the store is under pressure, judged from the size D1 last reported to this isolate (false before
 * any report: the first send reads the size). `/health` and the admission of a send both ask this.
 */
export function underPressure(limits: { maxDatabaseBytes: number; storagePressure: number }): boolean {
  const bytes = reportedSize?.bytes
  return typeof bytes === 'number' && bytes >= limits.maxDatabaseBytes * limits.storagePressure
}

/**
 * Reads the usage the quotas of a send to `recipients` depend on, in one round trip (a D1 batch of two
 * statements, issued on the binding itself for its `meta.size_after`). Every count and sum is a range of
 * an index that carries `size`; no body is read: each recipient's inbox is one range of the inbox index
 * (its strangers' share summed in the same pass), its share from this sender and this network one range
 * each of theirs.
 * @throws RelayError('ERR_STORAGE_UNAVAILABLE')
 */
export async function readUsage(db: Db, subject: QuotaSubject, recipients: string[]): Promise<Usage> {
  const { sender, network, now, limits } = subject
  const unexpired = sql`${messages.expiresAt} > ${now}`
  const cap = (n: number) => sql.raw(String(n))
  const perRecipient = sql`
    SELECT r.value AS recipient,
      count(m.seq) AS waiting, coalesce(sum(m.size), 0) AS bytes,
      coalesce(sum(m.stranger), 0) AS strangerWaiting, coalesce(sum(m.size * m.stranger), 0) AS strangerBytes,
      (SELECT count(*) FROM (SELECT 1 FROM ${messages} WHERE ${messages.sender} = ${sender}
        AND ${messages.recipient} = r.value AND ${unexpired} LIMIT ${cap(limits.senderPerRecipient)})) AS fromSender,
      (SELECT count(*) FROM ${messages} WHERE ${messages.network} = ${network}
        AND ${messages.recipient} = r.value AND ${unexpired}) AS fromNetwork,
      (SELECT coalesce(sum(${messages.size}), 0) FROM ${messages} WHERE ${messages.network} = ${network}
        AND ${messages.recipient} = r.value AND ${unexpired}) AS networkBytes,
      ${allowedBy(sql`r.value`, subject.messageBox, sender)} AS allowed
    FROM json_each(${JSON.stringify(recipients)}) AS r
      LEFT JOIN ${messages} AS m ON m.recipient = r.value AND m.expires_at > ${now}
    GROUP BY r.value`
  const totals = sql`
    SELECT
      (SELECT count(*) FROM ${messages} WHERE ${messages.sender} = ${sender} AND ${unexpired}) AS waiting,
      (SELECT coalesce(sum(${messages.size}), 0) FROM ${messages}
        WHERE ${messages.sender} = ${sender} AND ${unexpired}) AS bytes,
      (SELECT coalesce(sum(${messages.size}), 0) FROM ${messages}
        WHERE ${messages.network} = ${network} AND ${unexpired}) AS networkBytes`
  const [byRecipient, bySender] = await guardStorage('quota', () =>
    db.$client.batch<Record<string, unknown>>([prepared(db, perRecipient), prepared(db, totals)]),
  )
  const rows = (byRecipient?.results ?? []) as (Omit<RecipientUsage, 'allowed'> & {
    recipient: string
    allowed: 0 | 1
  })[]
  const total = (bySender?.results[0] ?? { waiting: 0, bytes: 0, networkBytes: 0 }) as {
    waiting: number
    bytes: number
    networkBytes: number
  }
  const sizeAfter = byRecipient?.meta.size_after
  const databaseBytes = typeof sizeAfter === 'number' ? sizeAfter : null
  noteSize(databaseBytes, now, limits)
  return {
    recipients: new Map(
      rows.map(({ recipient, allowed, ...counts }) => [recipient, { ...counts, allowed: allowed === 1 }]),
    ),
    sender: { waiting: total.waiting, bytes: total.bytes },
    networkBytes: total.networkBytes,
    databaseBytes,
  }
}

/**
 * The stored bytes `sender` has waiting, all recipients together: a range of the sender index.
 * @throws RelayError('ERR_STORAGE_UNAVAILABLE')
 */
export async function senderWaitingBytes(db: Db, sender: string, now: number): Promise<number> {
  const [row] = await guardStorage('sender usage', () =>
    db.all<{ bytes: number }>(sql`SELECT coalesce(sum(${messages.size}), 0) AS bytes FROM ${messages}
      WHERE ${messages.sender} = ${sender} AND ${messages.expiresAt} > ${now}`),
  )
  return row?.bytes ?? 0
}

/** Keeps the size D1 reported, and says so once in the log when the store comes under pressure. */
function noteSize(bytes: number | null, now: number, limits: QuotaLimits): void {
  const before = underPressure(limits)
  reportedSize = { bytes, at: now }
  if (!before && underPressure(limits)) {
    console.warn(
      JSON.stringify({
        storage: 'pressure',
        databaseBytes: bytes,
        threshold: Math.floor(limits.maxDatabaseBytes * limits.storagePressure),
      }),
    )
  }
}

// Renders Drizzle SQL as createDb's handle does (snake_case columns), for statements issued on the binding.
const dialect = new SQLiteAsyncDialect({ casing: 'snake_case' })

/** A Drizzle SQL expression as a D1 prepared statement, for a batch on the binding itself. */
function prepared(db: Db, query: SQL): D1PreparedStatement {
  const { sql: text, params } = dialect.sqlToQuery(query)
  return db.$client.prepare(text).bind(...params)
}

/**
 * The first quota a send of one more message to each of `fresh` would break, as its error, in the order of
 * the contract's limits table; nothing when the send fits.
 * @throws RelayError ERR_STORAGE_FULL (507), ERR_INBOX_QUOTA_EXCEEDED / ERR_SENDER_QUOTA_EXCEEDED (429)
 */
export function checkQuotas(usage: Usage, subject: QuotaSubject, fresh: string[]): void {
  const { size, limits } = subject
  if (usage.databaseBytes !== null && usage.databaseBytes > limits.maxDatabaseBytes * DATABASE_FULL_RATIO) {
    throw storageFull()
  }
  const share = strangerShare(limits)
  const network = networkShare(limits)
  for (const recipient of fresh) {
    const used = usage.recipients.get(recipient) ?? EMPTY_INBOX
    if (used.waiting >= limits.inboxMessages) {
      throw inboxFull(recipient, 'messages', limits.inboxMessages)
    }
    if (used.bytes + size > limits.inboxBytes) throw inboxFull(recipient, 'bytes', limits.inboxBytes)
    if (!used.allowed && used.strangerWaiting >= share.messages) {
      throw inboxFull(recipient, 'messages', share.messages, 'strangers')
    }
    if (!used.allowed && used.strangerBytes + size > share.bytes) {
      throw inboxFull(recipient, 'bytes', share.bytes, 'strangers')
    }
    if (used.fromSender >= limits.senderPerRecipient) {
      throw new RelayError(
        'ERR_SENDER_QUOTA_EXCEEDED',
        `You already have ${limits.senderPerRecipient} messages waiting for ${recipient}.`,
        { resource: 'messages', limit: limits.senderPerRecipient, recipient },
      )
    }
    if (used.fromNetwork >= network.messages) {
      throw networkFull('messages', network.messages, recipient)
    }
    if (used.networkBytes + size > network.bytes) throw networkFull('bytes', network.bytes, recipient)
  }
  if (usage.sender.waiting + fresh.length > limits.senderMessages) {
    throw senderFull('messages', limits.senderMessages)
  }
  if (usage.sender.bytes + size * fresh.length > limits.senderBytes) {
    throw senderFull('bytes', limits.senderBytes)
  }
  if (usage.networkBytes + size * fresh.length > limits.networkBytes) {
    throw networkFull('bytes', limits.networkBytes)
  }
}

const EMPTY_INBOX: RecipientUsage = {
  waiting: 0,
  bytes: 0,
  strangerWaiting: 0,
  strangerBytes: 0,
  fromSender: 0,
  fromNetwork: 0,
  networkBytes: 0,
  allowed: false,
}

/** What strangers may hold of one inbox, all together. */
function strangerShare(limits: QuotaLimits) {
  return {
    messages: Math.floor(limits.inboxMessages * limits.strangerShare),
    bytes: Math.floor(limits.inboxBytes * limits.strangerShare),
  }
}

/** What one network may hold of one inbox: as one sender, and a tenth of its bytes. */
function networkShare(limits: QuotaLimits) {
  return {
    messages: limits.senderPerRecipient,
    bytes: Math.floor(limits.inboxBytes * NETWORK_INBOX_SHARE),
  }
}

/** The 507 of a store that is full for new messages (also a heavy sender's under pressure). */
export function storageFull(
  detail = 'The relay is out of storage for new messages; try again later.',
): RelayError {
  return new RelayError('ERR_STORAGE_FULL', detail)
}

function inboxFull(
  recipient: string,
  resource: 'messages' | 'bytes',
  limit: number,
  scope?: 'strangers',
): RelayError {
  const whose = scope ? 'for senders it has not allowed' : 'for more'
  return new RelayError(
    'ERR_INBOX_QUOTA_EXCEEDED',
    `Recipient ${recipient} has no room ${whose} ${resource}; try again after it acknowledges some.`,
    { resource, limit, recipient, ...(scope ? { scope } : {}) },
  )
}

function senderFull(resource: 'messages' | 'bytes', limit: number): RelayError {
  return new RelayError(
    'ERR_SENDER_QUOTA_EXCEEDED',
    `You have ${limit} ${resource} waiting; more can be sent once recipients acknowledge them.`,
    { resource, limit },
  )
}

function networkFull(resource: 'messages' | 'bytes', limit: number, recipient?: string): RelayError {
  const where = recipient ? `for ${recipient}` : 'in this relay'
  return new RelayError(
    'ERR_SENDER_QUOTA_EXCEEDED',
    `Your network already has ${limit} ${resource} waiting ${where}; one network counts as one sender.`,
    { resource, limit, scope: 'network', ...(recipient ? { recipient } : {}) },
  )
}

/**
 * The quotas as one SQL condition, for the write of `recipient`'s row: true while the row fits. `stranger`
 * is the row's own "not allowed" condition (the same one its `stranger` column is written from). With
 * `senderTotals`, it also checks the sender's and the network's totals for all `count` rows of the send
 * (the first row's statement does this once; rows of one batch are written one after the other in one
 * transaction).
 */
export function fitsQuotas(
  subject: QuotaSubject,
  recipient: string,
  stranger: SQL,
  senderTotals: false | number,
): SQL {
  const { sender, network, size, now, limits } = subject
  // Limits are validated integers: inlined, so a 100-recipient batch binds little beyond keys.
  const n = (value: number) => sql.raw(String(value))
  const unexpired = sql`${messages.expiresAt} > ${now}`
  const share = strangerShare(limits)
  const networkMax = networkShare(limits)
  // Each count or sum is bounded by its own quota, which is what keeps the rows it reads small.
  const perRecipient = sql`
    (SELECT count(*) < ${n(limits.inboxMessages)}
      AND coalesce(sum(${messages.size}), 0) + ${n(size)} <= ${n(limits.inboxBytes)}
      AND (NOT ${stranger} OR (coalesce(sum(${messages.stranger}), 0) < ${n(share.messages)}
        AND coalesce(sum(${messages.size} * ${messages.stranger}), 0) + ${n(size)} <= ${n(share.bytes)}))
      FROM ${messages} WHERE ${messages.recipient} = ${recipient} AND ${unexpired})
    AND (SELECT count(*) < ${n(limits.senderPerRecipient)} FROM ${messages}
      WHERE ${messages.sender} = ${sender} AND ${messages.recipient} = ${recipient} AND ${unexpired})
    AND (SELECT count(*) < ${n(networkMax.messages)}
      AND coalesce(sum(${messages.size}), 0) + ${n(size)} <= ${n(networkMax.bytes)}
      FROM ${messages} WHERE ${messages.network} = ${network} AND ${messages.recipient} = ${recipient}
        AND ${unexpired})`
  if (senderTotals === false) return perRecipient
  return sql`${perRecipient}
    AND (SELECT count(*) + ${n(senderTotals)} <= ${n(limits.senderMessages)}
      AND coalesce(sum(${messages.size}), 0) + ${n(size * senderTotals)} <= ${n(limits.senderBytes)}
      FROM ${messages} WHERE ${messages.sender} = ${sender} AND ${unexpired})
    AND (SELECT coalesce(sum(${messages.size}), 0) + ${n(size * senderTotals)} <= ${n(limits.networkBytes)}
      FROM ${messages} WHERE ${messages.network} = ${network} AND ${unexpired})`
}
