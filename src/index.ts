import { createApp } from './app'
import type { Env } from './env'
import { pushConsumer } from './push/consumer'
import type { PushJob } from './push/push-job'
import { scheduled } from './scheduled'

export { LiveConnection } from './objects/live-connection'
export { Mailbox } from './objects/mailbox'

const app = createApp()

/** The Worker: the Hono app for HTTP, the expired-message purge for the cron trigger, push fan-out for PUSH_QUEUE. */
export default {
  fetch: app.fetch,
  scheduled,
  queue: pushConsumer,
} satisfies ExportedHandler<Env, PushJob>
