import { defineConfig } from 'vitest/config'

// message-box-client 2.1.1 logs to the console even with logging off (errors the tests provoke on
// purpose, and debug prints in getMessageBoxQuote). Hidden unless E2E_VERBOSE is set.
const CLIENT_NOISE =
  /^(\[MB CLIENT|\[CLIENT\]|HELP IM QUOTING|server response from getquote|deliveryAgentIdentityKey|delivery agent:)/

// .ci/run sets VITEST_REPORT_DIR to collect a JSON report per suite and print `N passed, N failed`.
const reportDir = process.env.VITEST_REPORT_DIR

/**
 * End-to-end suite: runs in Node against a real `wrangler dev` (started by global-setup.ts) with
 * the unmodified @bsv/message-box-client and AuthFetch. Paths resolve from the project root.
 */
export default defineConfig({
  test: {
    name: 'e2e',
    environment: 'node',
    include: ['test/e2e/**/*.test.ts'],
    globalSetup: ['./test/e2e/global-setup.ts'],
    // One file at a time: two cores, and restart.test.ts runs a wrangler dev of its own.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    teardownTimeout: 30_000,
    onConsoleLog: (log) => (process.env.E2E_VERBOSE || !CLIENT_NOISE.test(log) ? undefined : false),
    reporters: reportDir ? ['default', 'json'] : ['default'],
    outputFile: reportDir ? { json: `${reportDir}/e2e.json` } : undefined,
  },
})
