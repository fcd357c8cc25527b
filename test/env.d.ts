import type { D1Migration } from '@cloudflare/vitest-pool-workers'

declare global {
  namespace Cloudflare {
    interface Env {
      DB: D1Database
      MAILBOX: DurableObjectNamespace<import('../src/objects/mailbox').Mailbox>
      SERVER_PRIVATE_KEY: string
      PUSH_QUEUE: Queue<import('../src/push/push-job').PushJob>
      TEST_MIGRATIONS: D1Migration[]
    }
  }
}
