import { createDb } from './db/client'
import { purgeExpired } from './db/messages'
import type { Env } from './env'

/**
 * The cron trigger (wrangler.toml [triggers]): deletes expired messages. Listing already hides them,
 * so the purge only reclaims space and keeps the UNIQUE index free of dead ids. The Mailbox alarm is
 * not used for this: it belongs to session cleanup, and expiry is global, not per identity.
 */
export async function scheduled(_controller: ScheduledController, env: Env): Promise<void> {
  const purged = await purgeExpired(createDb(env.DB), Date.now())
  if (purged > 0) console.log(`purged ${purged} expired message(s)`)
}
