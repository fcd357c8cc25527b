import { sql } from 'drizzle-orm'
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'

/**
 * Messages waiting for their recipient (BRC-33: transport, not storage). A row is deleted when its
 * recipient acknowledges it or when it expires. Rows are never updated.
 */
export const messages = sqliteTable(
  'messages',
  {
    /**
     * Arrival sequence: the listing order, and the rowid (INTEGER PRIMARY KEY), so no extra index. Not
     * AUTOINCREMENT (migration 0006): a new row still gets a seq above every row present, which is all the
     * listing order needs, without a `sqlite_sequence` row written per send. A seq freed by deleting the
     * newest row may be given again; nothing refers to a seq once its row is gone.
     */
    seq: integer().primaryKey(),
    /** Client-chosen or generated; unique per recipient only (contract decision). */
    messageId: text().notNull(),
    /** 66-char lowercase compressed hex. */
    recipient: text().notNull(),
    /** Trimmed box name. */
    messageBox: text().notNull(),
    /** 66-char lowercase compressed hex. */
    sender: text().notNull(),
    /**
     * What follows the shared body for this recipient only, or null: a paid send stores its wrapper's common
     * part once (`message_bodies`) and here the recipient's own payment outputs and the closing braces, so a
     * listing returns `body || body_suffix` (src/delivery/paid-form.ts). A single-recipient send keeps its
     * whole body here and points `body_id` at the empty body 0 (migration 0005): no body row to write or delete.
     */
    bodySuffix: text(),
    /**
     * The send's body, stored once for all of its recipients (0: the empty body, see `bodySuffix`). No
     * foreign key (migration 0006): SQLite would need a full index on this column to check it, one row
     * written per message, where the partial index below covers only shared bodies. A send's batch writes
     * the body and its rows together, and the trigger releases a body only with its last message.
     */
    bodyId: integer().notNull(),
    /** Milliseconds since the epoch. */
    createdAt: integer().notNull(),
    /** Milliseconds since the epoch; Number.MAX_SAFE_INTEGER when messages never expire. */
    expiresAt: integer().notNull(),
    /**
     * UTF-8 bytes of the stored body, per recipient: the byte quotas sum it inside the indexes below without
     * reading a body. (Default 0 only for the ALTER TABLE of migration 0003, which also fills it in.)
     */
    size: integer().notNull().default(0),
    /**
     * 1 when the sender was a stranger to the recipient when it sent (no rule of the recipient's allowing that
     * sender in that box or in `*`), else 0: strangers together may hold only STRANGER_INBOX_SHARE of an inbox
     * (migration 0009; rows from before count as allowed).
     */
    stranger: integer().notNull().default(0),
    /**
     * The sender's client network (IPv4 /24, IPv6 /48 of CF-Connecting-IP) as a keyed hash, never an address:
     * one network counts as one sender in the quotas (migration 0009; `''` for rows from before, which no
     * network's quota counts).
     */
    network: text().notNull().default(''),
  },
  (t) => [
    // The constraint behind "messageId is unique per recipient"; also serves acknowledge's lookup.
    uniqueIndex('messages_recipient_message_id_uq').on(t.recipient, t.messageId),
    // One index for a recipient's whole inbox: a page of a box is a range in arrival order, whatever the
    // box's size; the inbox quotas and listMessageBoxes count and sum the recipient's range inside it
    // (expires_at and size ride along), without reading rows.
    // `stranger` rides along too (migration 0009), so the strangers' share is summed in the same range.
    index('messages_inbox_idx').on(t.recipient, t.messageBox, t.seq, t.expiresAt, t.size, t.stranger),
    // The sender quotas: one sender's messages for one recipient (a range), and all of its messages.
    index('messages_sender_recipient_expires_idx').on(t.sender, t.recipient, t.expiresAt, t.size),
    // The network quotas, the same way: one network's messages for one recipient, and all of them.
    index('messages_network_recipient_expires_idx').on(t.network, t.recipient, t.expiresAt, t.size),
    // Finds the other references to a shared body when a message is deleted (the release trigger). Partial:
    // a single-recipient message (body 0) writes no entry. The expiry purge walks `seq` instead of an index.
    index('messages_shared_body_idx')
      .on(t.bodyId)
      .where(sql`body_id != 0`),
  ],
)

/** A stored message row. */
export type Message = typeof messages.$inferSelect
/** A message row to insert (`seq` is assigned by SQLite). */
export type NewMessage = typeof messages.$inferInsert
