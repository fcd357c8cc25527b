import { defineConfig, mergeConfig } from 'vitest/config'
import base from '../vitest.config'

/**
 * The fuzz suite on demand, longer or with another seed (npm test runs it with fixed seeds and small budgets):
 *   FUZZ_RUNS=2000 FUZZ_SEED=12345 npx vitest run --config test/fuzz/vitest.config.mts
 * FUZZ_RUNS is the number of runs of every property; FUZZ_SEED replaces the constant seed (each property prints
 * the seed it used, so a failure found here replays with the same FUZZ_SEED).
 */
const runs = process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) : undefined
const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined
for (const [name, value] of Object.entries({ FUZZ_RUNS: runs, FUZZ_SEED: seed })) {
  if (value !== undefined && !Number.isSafeInteger(value)) throw new Error(`${name} must be an integer`)
}

const config = mergeConfig(
  base,
  defineConfig({
    test: {
      provide: {
        ...(runs === undefined ? {} : { fuzzRuns: runs }),
        ...(seed === undefined ? {} : { fuzzSeed: seed }),
      },
      // A long run takes as long as it takes: one hour per property at most.
      testTimeout: 3_600_000,
    },
  }),
)
// mergeConfig concatenates arrays; only the fuzz files here.
config.test!.include = ['test/fuzz/**/*.test.ts']
export default config
