import type { Config } from '../config'
import type { ServerKey } from '../crypto/server-key'
import type { Db } from '../db/client'
import { onlineAmong } from '../db/live-presence'
import { type DeliveryResult, deliverMessages, type Send } from '../db/messages'
import type { Env } from '../env'
import { admitSend, freeAdmission } from '../permissions/admission'
import type { Charges } from '../permissions/fees'
import { enqueuePushes } from '../push/enqueue'
import { pushLive } from './live-push'
import { broadcastSettled, type SettledForm, settleStoredForm } from './paid-form'
import type { SendMessageRequest } from '../validation/send-message'
import { utf8Length } from '../text'

/**
 * Where a send runs: the Worker's environment (the push queue, the Durable Objects, the ARC key), and what
 * was read once for the request or the connection (configuration, database handle, server key).
 */
export interface SendScope {
  env: Env
  config: Config
  db: Db
  serverKey: ServerKey
}

/**
 * The one send pipeline, for every way a message arrives (HTTP /sendMessage and the live socket's sendMessage).
 * The request is validated (checks 1–10); this admits it (permissions and fees, 10a–10b), verifies a payment
 * that is owed and finds it unclaimed (10c, skipped for an idempotent repeat), checks the stored size and the
 * quotas (11–12), broadcasts the payment, and stores the send for every recipient or none with the payment's
 * claim; after the commit it queues its device pushes and pushes it to the recipients' live connections,
 * both outside the response.
 * A send that may owe nothing is written first, admitted inside its write: one storage round trip. Any
 * other, or one whose write is refused, reads first (the admission alongside the store's own reads).
 * @param background keeps work alive after the response (`waitUntil`).
 */
export async function runSend(
  scope: SendScope,
  request: SendMessageRequest,
  from: { sender: string; network: string },
  background: (work: Promise<unknown>) => void,
): Promise<DeliveryResult[]> {
  const { env, config, db } = scope
  const { sender } = from
  const send = toSend(request, from, config, Date.now())
  let charges: Charges | undefined
  let settled: SettledForm | undefined
  // Who is connected, read alongside the send's own storage work (no round trip of its own). If it cannot
  // be read, every recipient's Mailbox is asked, as if all were connected.
  const recipients = send.deliveries.map((d) => d.recipient)
  const online = onlineAmong(db, recipients).catch((error) => {
    console.warn('live presence unreadable; pushing to every recipient:', String(error))
    return new Set(recipients)
  })
  const results = await deliverMessages(db, send, {
    admitInWrite: freeAdmission(config, sender, send.messageBox),
    admit: async () => {
      charges = await admitSend(db, config, {
        sender,
        messageBox: send.messageBox,
        recipients: send.deliveries.map((d) => d.recipient),
        hasPayment: request.hasPayment,
      })
    },
    finalize: async (fresh) => {
      settled = await settleStoredForm(
        db,
        {
          sender,
          message: request.message,
          payment: request.payment,
          unpaidBody: request.body,
          charges: charges!,
          serverPrivateKey: scope.serverKey.privateKeyHex,
          now: send.now,
        },
        fresh,
        config,
      )
      return settled.form
    },
    beforeWrite: () => broadcastSettled(settled!, { url: config.arcUrl, apiKey: env.ARC_API_KEY }),
  })
  const stored = results.filter((r) => !r.duplicate)
  const committed = { sender, messageBox: send.messageBox, stored }
  background(enqueuePushes(env, config, committed))
  // An idempotent repeat was pushed the first time. A send written first owed nothing, so it was stored
  // as sent (no form was settled).
  const connected = await online
  const live = { ...committed, stored: stored.filter((r) => connected.has(r.recipient)) }
  if (live.stored.length > 0) background(pushLive(env, live, settled?.form ?? { body: send.body }))
  return results
}

function toSend(
  request: SendMessageRequest,
  { sender, network }: { sender: string; network: string },
  config: Config,
  now: number,
): Send {
  return {
    sender,
    network,
    messageBox: request.messageBox,
    body: request.body,
    // A generated id is a string like any other, so the recipient acknowledges it the same way.
    deliveries: request.recipients.map((r) => ({
      recipient: r.recipient,
      messageId: r.messageId ?? crypto.randomUUID(),
    })),
    now,
    expiresAt: config.messageTtlMs === 0 ? Number.MAX_SAFE_INTEGER : now + config.messageTtlMs,
    size: utf8Length(request.body),
    maxStoredBytes: config.maxStoredBodyBytes,
    limits: {
      inboxMessages: config.inboxQuota,
      inboxBytes: config.inboxBytesQuota,
      senderPerRecipient: config.senderPerRecipientQuota,
      senderMessages: config.senderMessagesQuota,
      senderBytes: config.senderBytesQuota,
      networkBytes: config.networkBytesQuota,
      strangerShare: config.strangerInboxShare,
      maxDatabaseBytes: config.maxDatabaseBytes,
      storagePressure: config.storagePressure,
    },
  }
}
