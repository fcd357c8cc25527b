import { eq, sql } from 'drizzle-orm'
import { livePresence } from '../../schema'
import type { Db } from './client'

/** Records that `identityKey` has a live connection (idempotent). */
export async function markOnline(db: Db, identityKey: string): Promise<void> {
  await db.insert(livePresence).values({ identityKey }).onConflictDoNothing()
}

/** Records that `identityKey` has no live connection left. */
export async function markOffline(db: Db, identityKey: string): Promise<void> {
  await db.delete(livePresence).where(eq(livePresence.identityKey, identityKey))
}

/** Which of `identityKeys` have a live connection: one key lookup each, in one query with one parameter. */
export async function onlineAmong(db: Db, identityKeys: string[]): Promise<Set<string>> {
  const rows = await db
    .select({ identityKey: livePresence.identityKey })
    .from(livePresence)
    .where(sql`${livePresence.identityKey} IN (SELECT value FROM json_each(${JSON.stringify(identityKeys)}))`)
  return new Set(rows.map((row) => row.identityKey))
}
