import { env } from 'cloudflare:test'
import type { TrackerFailure } from '../fakes/chain-tracker-api'
import { controlFake } from './fake-control'

/**
 * The fake chain tracker (started by test/vitest.config.ts in Node) as tests inside workerd see it. It is
 * shared by every test file running at once, so tests only touch blocks at their own random heights.
 */
export const fakeChainTracker = {
  url: () => env.CHAIN_TRACKER_URL,
  registerBlock: (height: number, merkleroot: string) => control('POST', '/_blocks', { height, merkleroot }),
  /** Header requests for `height` fail as `mode` says until called again with null. */
  fail: (height: number, mode: TrackerFailure | null) => control('POST', '/_fail', { height, mode }),
  /** Header requests received for `height`, whatever they were answered. */
  requests: async (height: number) =>
    (await control<{ count: number }>('GET', `/_requests?height=${height}`)).count,
}

export { randomHeight } from './mined-parent'

function control<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  return controlFake<T>({ name: 'fake chain tracker', url: env.CHAIN_TRACKER_URL }, method, path, body)
}
