import { integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core'

/**
 * Who may send into an owner's message box, and at what fee (contract.md "Permissions and fees").
 * Rows are written only by their owner: a quote computes defaults and never stores them.
 */
export const permissions = sqliteTable(
  'permissions',
  {
    /** The identity the rule belongs to (the recipient), 66-char lowercase compressed hex. */
    owner: text().notNull(),
    /** Trimmed box name. */
    messageBox: text().notNull(),
    /**
     * The sender the rule is for, canonical hex, or `''` for the owner's box-wide rule. Not NULL: SQLite
     * treats NULLs as distinct in a key, so box-wide rows could pile up; `''` makes the key hold for them too.
     * `src/db/permissions.ts` maps it to and from the wire's `null`.
     */
    sender: text().notNull(),
    /** -1 blocked, 0 always allowed, 1..2^31-1 satoshis required. */
    recipientFee: integer().notNull(),
    /** Milliseconds since the epoch. */
    createdAt: integer().notNull(),
    /** Milliseconds since the epoch; strictly advanced by every upsert. */
    updatedAt: integer().notNull(),
  },
  // The one-row-per-(owner, box, sender) rule is the key itself; upserts target it. Its order also serves
  // the fee lookup (owner, box, sender IN (S, '')) and the listing (owner, box, sender).
  (t) => [primaryKey({ columns: [t.owner, t.messageBox, t.sender] })],
)

/** A stored permission row. */
export type Permission = typeof permissions.$inferSelect
