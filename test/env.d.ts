import type { D1Migration } from '@cloudflare/vitest-pool-workers'

// What the test pool adds to the Worker's environment (test/vitest.config.ts): the migrations, the fakes' URLs
// and the secrets, which wrangler.toml (and so the generated src/worker-configuration.d.ts) cannot list.
declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[]
      SERVER_PRIVATE_KEY: string
      FCM_SERVICE_ACCOUNT_JSON: string
      FCM_TOKEN_URL: string
      FCM_SEND_URL: string
      /** Test only: the fake FCM's control API (test/fakes/fake-fcm-api.ts). */
      FAKE_FCM_URL: string
      /** The fake ARC's key (test/fakes/arc.ts records it); CHAIN_TRACKER_URL and ARC_URL point at the fakes. */
      ARC_API_KEY: string
    }
  }
}
