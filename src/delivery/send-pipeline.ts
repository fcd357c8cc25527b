import { readConfig, type Config } from '../config'
import { createDb } from '../db/client'
import { type DeliveryResult, deliverMessages, type Send } from '../db/messages'
import type { Env } from '../env'
import { admitSend } from '../permissions/admission'
import { enqueuePushes } from '../push/enqueue'
import type { SendMessageRequest } from '../validation/send-message'

/**
 * The one send pipeline, for every way a message arrives (HTTP /sendMessage; the live socket later).
 * The request is validated (checks 1–10); this admits it (permissions and fees, 10a–10b), stores it for
 * every recipient or none (11–12) and, after the commit, queues its pushes outside the response.
 * The admission's read runs alongside the store's own reads: one storage round trip before the write.
 * @param background keeps work alive after the response (`waitUntil`).
 */
export async function runSend(
  env: Env,
  request: SendMessageRequest,
  sender: string,
  background: (work: Promise<unknown>) => void,
): Promise<DeliveryResult[]> {
  const config = readConfig(env)
  const db = createDb(env.DB)
  const send = toSend(request, sender, config, Date.now())
  const results = await deliverMessages(db, send, () =>
    admitSend(db, config, {
      sender,
      messageBox: send.messageBox,
      recipients: send.deliveries.map((d) => d.recipient),
      hasPayment: request.hasPayment,
    }),
  )
  const stored = results.filter((r) => !r.duplicate)
  background(enqueuePushes(env, config, { sender, messageBox: send.messageBox, stored }))
  return results
}

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
