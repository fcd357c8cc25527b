import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers'
import { defineConfig } from 'vitest/config'

/** The §13.1 vector key of protocol.md (0x11 × 32 bytes), so live responses can be checked against vectors. */
export const TEST_SERVER_PRIVATE_KEY = '11'.repeat(32)

// .ci/run sets VITEST_REPORT_DIR to collect a JSON report per suite and print `N passed, N failed`.
const reportDir = process.env.VITEST_REPORT_DIR

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
