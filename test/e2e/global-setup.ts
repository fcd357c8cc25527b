import type { TestProject } from 'vitest/node'
import { startFakeArc } from '../fakes/arc'
import { startFakeChainTracker } from '../fakes/chain-tracker'
import { startFakeFcm } from '../fakes/fake-fcm'
import { createRelayState, removeRelayState, startRelay } from './helpers/wrangler-dev'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL of the shared `wrangler dev` (fresh state, migrated, test key). */
    relayUrl: string
    /** The identity key that relay's GET /health reports, and its (test) private key. */
    relayIdentityKey: string
    relayServerPrivateKey: string
    /** That relay's `--persist-to` directory (its local D1, for scripts that read it: npm run fees). */
    relayPersistTo: string
    /** The fake FCM's base URL: its control API (test/fakes/fake-fcm-api.ts). */
    fakeFcmUrl: string
    /** FCM_SERVICE_ACCOUNT_JSON, FCM_TOKEN_URL, FCM_SEND_URL pointing at the fake, for relays a test starts. */
    fcmVars: Record<string, string>
    /** The fake chain tracker and the fake ARC every relay of the run verifies and broadcasts payments with. */
    fakeChainTrackerUrl: string
    fakeArcUrl: string
  }
}

/**
 * One `wrangler dev` for the whole e2e run, on a free loopback port over a fresh `--persist-to`
 * directory, with push on against a fake FCM and payments against a fake chain tracker and ARC, all in this
 * process (relays a test starts use the same fakes). Stopped by its process group in teardown
 * (and by an exit hook if vitest dies first).
 */
export default async function setup(project: TestProject) {
  const [fcm, tracker, arc] = await Promise.all([startFakeFcm(), startFakeChainTracker(), startFakeArc()])
  const fcmVars = {
    FCM_SERVICE_ACCOUNT_JSON: fcm.account.json,
    FCM_TOKEN_URL: fcm.tokenUrl,
    FCM_SEND_URL: fcm.sendUrl,
  }
  const state = createRelayState()
  // Every e2e client comes from 127.0.0.1, so the per-IP handshake limit (60 a minute, tested inside workerd)
  // would count the whole suite as one attacker: off for the shared relay.
  const relay = await startRelay(state, {
    vars: { ...fcmVars, CHAIN_TRACKER_URL: tracker.url, ARC_URL: arc.url, HANDSHAKE_RATE_LIMIT: '0' },
  })
  project.provide('relayUrl', relay.url)
  project.provide('relayIdentityKey', state.serverIdentityKey)
  project.provide('relayServerPrivateKey', state.serverPrivateKey)
  project.provide('relayPersistTo', state.persistTo)
  project.provide('fakeFcmUrl', fcm.url)
  project.provide('fcmVars', fcmVars)
  project.provide('fakeChainTrackerUrl', tracker.url)
  project.provide('fakeArcUrl', arc.url)
  console.log(`[e2e] wrangler dev on ${relay.url} (state ${state.persistTo}, pid group ${relay.pid})`)
  console.log(`[e2e] fake FCM on ${fcm.url}, chain tracker on ${tracker.url}, ARC on ${arc.url}`)
  return async () => {
    await relay.stop()
    removeRelayState(state)
    await Promise.all([fcm.close(), tracker.close(), arc.close()])
  }
}
