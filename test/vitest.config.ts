import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers'
import { defineConfig } from 'vitest/config'
import { startFakeArc } from './fakes/arc'
import { startFakeChainTracker } from './fakes/chain-tracker'
import { startFakeFcm } from './fakes/fake-fcm'

/** The §13.1 vector key of docs/protocol.md (0x11 × 32 bytes), so live responses can be checked against vectors. */
export const TEST_SERVER_PRIVATE_KEY = '11'.repeat(32)

// .ci/run sets VITEST_REPORT_DIR to collect a JSON report per suite and print `N passed, N failed`.
const reportDir = process.env.VITEST_REPORT_DIR

// The fakes of the relay's outside services, in this Node process (unref'd): Google's token endpoint
// and FCM for push tests; for payments, a WhatsOnChain-compatible block-header API (knowing only the blocks
// tests make up) and an ARC broadcaster (keeping the coins the transactions it took spent).
const fakeFcm = await startFakeFcm()
const fakeChainTracker = await startFakeChainTracker()
const fakeArc = await startFakeArc()

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
          // Payments are verified against the fake (test/fakes/chain-tracker.ts); its control routes live there too.
          CHAIN_TRACKER_URL: fakeChainTracker.url,
          // Paid sends are broadcast to the fake (test/fakes/arc.ts), with a key it records.
          ARC_URL: fakeArc.url,
          ARC_API_KEY: 'test-arc-key',
        },
      },
    })),
  ],
  test: {
    setupFiles: ['./test/setup.ts'],
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**'],
    testTimeout: 30_000,
    // The relay's one JSON line per request (src/middleware/request-log.ts) would bury the test output; the
    // request-log tests read those lines themselves. REQUEST_LOGS=1 shows them.
    onConsoleLog: (log) => (process.env.REQUEST_LOGS || !log.startsWith('{"requestId":') ? undefined : false),
    reporters: reportDir ? ['default', 'json'] : ['default'],
    outputFile: reportDir ? { json: `${reportDir}/workers.json` } : undefined,
  },
})
