import { Hono } from 'hono'
import { type Config, readConfig } from '../config'
import { createDb } from '../db/client'
import { type DeliveryResult, deliverMessages, type Send } from '../db/messages'
import type { AppEnv } from '../env'
import { canonicalCaller } from '../validation/identity-key'
import { type SendMessageRequest, sendMessageRequest } from '../validation/send-message'
import { validateBody } from '../validation/validate'

/** `POST /sendMessage`: stores one body for every recipient or for none (contract.md). */
export const sendMessage = new Hono<AppEnv>().post('/sendMessage', async (c) => {
  const request = validateBody(c, sendMessageRequest)
  const send = toSend(request, canonicalCaller(c.var.identityKey), readConfig(c.env), Date.now())
  const results = await deliverMessages(createDb(c.env.DB), send)
  return c.json(sentBody(results))
})

function toSend(request: SendMessageRequest, sender: string, config: Config, now: number): Send {
  return {
    sender,
    messageBox: request.messageBox,
    body: request.body,
    // A generated id is a string like any other, so the recipient acknowledges it the same way.
    deliveries: request.recipients.map((r) => ({
      recipient: r.recipient,
      messageId: r.messageId ?? crypto.randomUUID(),
    })),
    now,
    expiresAt: config.messageTtlMs === 0 ? Number.MAX_SAFE_INTEGER : now + config.messageTtlMs,
    quota: config.inboxQuota,
  }
}

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
