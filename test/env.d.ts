import type { D1Migration } from '@cloudflare/vitest-pool-workers'

declare global {
  namespace Cloudflare {
    interface Env {
      DB: D1Database
      MAILBOX: DurableObjectNamespace<import('../src/objects/mailbox').Mailbox>
      LIVE: DurableObjectNamespace<import('../src/objects/live-connection').LiveConnection>
      /** wrangler.toml [vars] the tests read. */
      MAX_MESSAGE_BODY_BYTES: string
      LIVE_MAX_FRAME_BYTES: string
      LIVE_MAX_CONNECTIONS_PER_IDENTITY: string
      SERVER_PRIVATE_KEY: string
      HANDSHAKE_RATE_LIMITER: RateLimit
      PUSH_QUEUE: Queue<import('../src/push/push-job').PushJob>
      TEST_MIGRATIONS: D1Migration[]
      FCM_SERVICE_ACCOUNT_JSON: string
      FCM_TOKEN_URL: string
      FCM_SEND_URL: string
      /** Test only: the fake FCM's control API (test/fakes/fake-fcm-api.ts). */
      FAKE_FCM_URL: string
      /** The fake chain tracker (test/fakes/chain-tracker.ts); its control API is at the same origin. */
      CHAIN_TRACKER_URL: string
      /** The fake ARC (test/fakes/arc.ts); its control API is at the same origin. */
      ARC_URL: string
      ARC_API_KEY: string
    }
  }
}
