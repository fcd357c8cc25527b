import type { TestProject } from 'vitest/node'
import { createRelayState, removeRelayState, startRelay } from './helpers/wrangler-dev'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL of the shared `wrangler dev` (fresh state, migrated, test key). */
    relayUrl: string
    /** The identity key that relay's GET /health reports. */
    relayIdentityKey: string
  }
}

/**
 * One `wrangler dev` for the whole e2e run, on a free loopback port over a fresh `--persist-to`
 * directory. Stopped by its process group in teardown (and by an exit hook if vitest dies first).
 */
export default async function setup(project: TestProject) {
  const state = createRelayState()
  const relay = await startRelay(state)
  project.provide('relayUrl', relay.url)
  project.provide('relayIdentityKey', state.serverIdentityKey)
  console.log(`[e2e] wrangler dev on ${relay.url} (state ${state.persistTo}, pid group ${relay.pid})`)
  return async () => {
    await relay.stop()
    removeRelayState(state)
  }
}
