import { createExecutionContext, env } from 'cloudflare:test'
import { createApp } from '../../src/app'
import type { Env } from '../../src/env'
import type { FetchLike } from './client'

/** The real relay app over the test environment with some vars or bindings replaced. */
export interface RelayWithEnv {
  /** Give it to `newClient({ fetch })`. */
  fetch: FetchLike
  /** The `x-bsv-auth-signature` of the last response on the wire (AuthFetch hands tests a rebuilt Response). */
  lastSignature(): string | null
}

/** A relay whose environment differs from wrangler.toml's by `overrides` (other vars, failing bindings). */
export function relayWithEnv(overrides: Partial<Env>): RelayWithEnv {
  const app = createApp()
  let signature: string | null = null
  return {
    fetch: async (input, init) => {
      // An execution context of its own, as the runtime gives each request (routes call waitUntil).
      const res = await app.request(input, init, { ...env, ...overrides }, createExecutionContext())
      signature = res.headers.get('x-bsv-auth-signature')
      return res
    },
    lastSignature: () => signature,
  }
}
