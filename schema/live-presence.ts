import { sqliteTable, text } from 'drizzle-orm/sqlite-core'

/**
 * Identities with at least one live connection (contract.md "Live delivery"). Each identity's Mailbox keeps
 * its own row in step with its registry of connections (src/objects/mailbox.ts): written when the first
 * connection attaches, deleted when the last one goes. A send reads it alongside its own storage work and
 * calls only those recipients' Mailboxes to push, instead of every recipient's. A row left behind costs a
 * needless call, never a lost message: every message is stored and listed whether or not it was pushed.
 */
export const livePresence = sqliteTable('live_presence', {
  /** 66-char lowercase compressed hex. */
  identityKey: text().primaryKey(),
})
