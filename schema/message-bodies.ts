import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core'

/**
 * The body of a send, stored once however many recipients it has; every recipient's row in `messages`
 * references it. A trigger (migration 0001) deletes a body with the last message that references it.
 */
export const messageBodies = sqliteTable('message_bodies', {
  // AUTOINCREMENT: a new body always has the largest id, which is how a send's rows find theirs
  // inside its batch (src/db/messages.ts), and an id is never reused.
  id: integer().primaryKey({ autoIncrement: true }),
  /** As sent: a string byte-identical, an object as its JSON.stringify. */
  body: text().notNull(),
})

/** A stored body row. */
export type MessageBody = typeof messageBodies.$inferSelect
