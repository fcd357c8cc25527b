import { createApp } from './app'
import type { Env } from './env'
import { scheduled } from './scheduled'

export { Mailbox } from './objects/mailbox'

const app = createApp()

/** The Worker: the Hono app for HTTP, and the expired-message purge for the cron trigger. */
export default {
  fetch: app.fetch,
  scheduled,
} satisfies ExportedHandler<Env>
