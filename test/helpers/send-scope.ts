import { env } from 'cloudflare:test'
import { type Config, readConfig } from '../../src/config'
import { loadServerKey } from '../../src/crypto/server-key'
import { createDb } from '../../src/db/client'
import type { SendScope } from '../../src/delivery/send-pipeline'
import type { SendMessageRequest } from '../../src/validation/send-message'

/**
 * What `runSend` needs, as the send route gives it: over `relayEnv` (the test worker's by default), with
 * `overrides` of its configuration, and its database handle over `d1` (a recording one, say).
 */
export async function sendScope(
  options: { relayEnv?: typeof env; overrides?: Partial<Config>; d1?: D1Database } = {},
): Promise<SendScope> {
  const relayEnv = options.relayEnv ?? env
  return {
    env: relayEnv,
    config: { ...readConfig(relayEnv), ...options.overrides },
    db: createDb(options.d1 ?? relayEnv.DB),
    serverKey: await loadServerKey(relayEnv.SERVER_PRIVATE_KEY),
  }
}

/** A validated unpaid send of `body` into `messageBox`, as checks 1–10 leave it. */
export function sendRequest(
  recipients: { recipient: string; messageId: string | null }[],
  body = 'b',
  messageBox = 'inbox',
): SendMessageRequest {
  return { messageBox, body, recipients, hasPayment: false, message: body, payment: undefined }
}
