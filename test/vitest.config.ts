import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers'
import { defineConfig } from 'vitest/config'
import { startFakeFcm } from './fakes/fake-fcm'

/** The §13.1 vector key of protocol.md (0x11 × 32 bytes), so live responses can be checked against vectors. */
export const TEST_SERVER_PRIVATE_KEY = '11'.repeat(32)

// .ci/run sets VITEST_REPORT_DIR to collect a JSON report per suite and print `N passed, N failed`.
const reportDir = process.env.VITEST_REPORT_DIR

// The only fake: Google's token endpoint and FCM, in this Node process (unref'd), for push tests.
const fakeFcm = await startFakeFcm()

// Paths resolve from the project root, where the npm scripts run.
export default defineConfig({
  plugins: [
    cloudflareTest(async () => ({
      main: './src/index.ts',
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: {
          SERVER_PRIVATE_KEY: TEST_SERVER_PRIVATE_KEY,
          TEST_MIGRATIONS: await readD1Migrations('./migrations'),
          // Push is on in this suite, against the fake (test/fakes/fake-fcm.ts).
          FCM_SERVICE_ACCOUNT_JSON: fakeFcm.account.json,
          FCM_TOKEN_URL: fakeFcm.tokenUrl,
          FCM_SEND_URL: fakeFcm.sendUrl,
          FAKE_FCM_URL: fakeFcm.url,
        },
      },
    })),
  ],
  test: {
    setupFiles: ['./test/setup.ts'],
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**'],
    testTimeout: 30_000,
    reporters: reportDir ? ['default', 'json'] : ['default'],
    outputFile: reportDir ? { json: `${reportDir}/workers.json` } : undefined,
  },
})
