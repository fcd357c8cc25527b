import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core'

/**
 * Payments the relay accepted (contract.md "Payments"), one row per transaction: the row is the claim that
 * makes a transaction pay for one send only (its key), written in the same batch as the send's messages.
 * When the send owed the relay a delivery fee, the output that pays it is recorded, with the BEEF, so the
 * operator can claim it with the server key (`npm run fees`, a later step).
 */
export const payments = sqliteTable('payments', {
  /** Display-order hex. */
  txid: text().primaryKey(),
  /** The authenticated sender, 66-char lowercase compressed hex. */
  sender: text().notNull(),
  /** Milliseconds since the epoch. */
  createdAt: integer().notNull(),
  /** The relay's delivery-fee output (always output 0), or null when the send owed no delivery fee. */
  deliverySatoshis: integer(),
  derivationPrefix: text(),
  derivationSuffix: text(),
  /** The AtomicBEEF as base64, kept only with a delivery output (what a wallet internalizes to claim it). */
  beef: text(),
})

/** A stored payment row. */
export type Payment = typeof payments.$inferSelect
/** A payment row to insert: the claim written with a paid send. */
export type NewPayment = typeof payments.$inferInsert
