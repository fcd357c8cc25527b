import { Hono } from 'hono'
import { readConfig } from '../config'
import { createDb } from '../db/client'
import { type DeliveryResult, deliverMessages } from '../db/messages'
import type { AppEnv } from '../env'
import { canonicalIdentityKey } from '../validation/identity-key'
import { sendMessageRequest } from '../validation/send-message'
import { validateBody } from '../validation/validate'

/** `POST /sendMessage`: stores one body for every recipient or for none (contract.md). */
export const sendMessage = new Hono<AppEnv>().post('/sendMessage', async (c) => {
  const request = validateBody(c, sendMessageRequest)
  const config = readConfig(c.env)
  const now = Date.now()
  const results = await deliverMessages(createDb(c.env.DB), {
    sender: canonicalIdentityKey(c.var.identityKey) ?? c.var.identityKey,
    messageBox: request.messageBox,
    body: request.body,
    // A generated id is a string like any other, so the recipient acknowledges it the same way.
    deliveries: request.recipients.map((r) => ({ recipient: r.recipient, messageId: r.messageId ?? crypto.randomUUID() })),
    now,
    expiresAt: config.messageTtlMs === 0 ? Number.MAX_SAFE_INTEGER : now + config.messageTtlMs,
    quota: config.inboxQuota,
  })
  return c.json(sentBody(results))
})

function sentBody(results: DeliveryResult[]) {
  return {
    status: 'success',
    message: `Your message has been sent to ${results.length} recipient(s).`,
    results: results.map(({ recipient, messageId, duplicate }) =>
      duplicate ? { recipient, messageId, duplicate } : { recipient, messageId },
    ),
    // The reference answers a single-recipient send with its id at the top level.
    ...(results.length === 1 ? { messageId: results[0]!.messageId } : {}),
  }
}
