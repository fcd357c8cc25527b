import { sqliteTable, text } from 'drizzle-orm/sqlite-core'

/**
 * The coins accepted payments spent (contract.md "Payments"): one row per input of each accepted payment
 * transaction, written in the same batch as its `payments` row and its messages. The primary key is what
 * makes a coin pay for one send only: another transaction spending it (a double spend, or a replay under a
 * different txid) breaks the key, and the whole send rolls back, however two sends race.
 * WITHOUT ROWID in the migration (0008): the key is the table, one b-tree write per coin instead of two.
 */
export const spentOutpoints = sqliteTable('spent_outpoints', {
  /** `<txid>.<vout>` of the coin spent, txid in display-order hex. */
  outpoint: text().primaryKey(),
  /** The accepted payment transaction that spent it (`payments.txid`). */
  txid: text().notNull(),
})

/** A spent-coin row, as inserted with a paid send. */
export type NewSpentOutpoint = typeof spentOutpoints.$inferInsert
