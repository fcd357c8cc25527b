import type { Config } from '../config'
import type { ServerKey } from '../crypto/server-key'
import type { Db } from '../db/client'
import { onlineAmong } from '../db/live-presence'
import {
  type Delivery,
  type DeliveryResult,
  findRepeats,
  type Send,
  type StoredForm,
  writeSend,
} from '../db/messages'
import { checkQuotas, hasRoomWithoutReading, readUsage } from '../db/quotas'
import { storageUnavailable } from '../db/storage-errors'
import { RelayError } from '../errors'
import type { Env } from '../env'
import { admitSend, mayOweNothing } from '../permissions/admission'
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
 * The request is validated (checks 1–10); `store` runs the rest in the contract's order and stores the send
 * for every recipient or none; after the commit this queues its device pushes and pushes it to the
 * recipients' live connections, both outside the response.
 * @param background keeps work alive after the response (`waitUntil`).
 */
export async function runSend(
  scope: SendScope,
  request: SendMessageRequest,
  from: { sender: string; network: string },
  background: (work: Promise<unknown>) => void,
): Promise<DeliveryResult[]> {
  const { env, config, db } = scope
  const send = toSend(request, from, config, Date.now())
  // Who is connected, read alongside the send's own storage work (no round trip of its own). If it cannot
  // be read, every recipient's Mailbox is asked, as if all were connected.
  const recipients = send.deliveries.map((d) => d.recipient)
  const online = onlineAmong(db, recipients).catch((error) => {
    console.warn('live presence unreadable; pushing to every recipient:', String(error))
    return new Set(recipients)
  })
  const { results, form } = await store(scope, send, request)
  const stored = results.filter((r) => !r.duplicate)
  const committed = { sender: from.sender, messageBox: send.messageBox, stored }
  background(enqueuePushes(env, config, committed))
  // An idempotent repeat was pushed the first time.
  const connected = await online
  const live = { ...committed, stored: stored.filter((r) => connected.has(r.recipient)) }
  if (live.stored.length > 0) background(pushLive(env, live, form))
  return results
}

// A concurrent send can win the race between our reads and our write; the write's constraints then
// refuse it and the next attempt reads the new state. Three attempts make a fourth race implausible.
const MAX_SEND_ATTEMPTS = 3

/**
 * sendMessage's checks 10a–12 and the write, in the contract's order (docs/contract.md "POST /sendMessage"):
 * admission (permissions and fees, 10a–10b), ids already waiting (11: a repeat of this send is idempotent,
 * another sender's is refused), the payment verified and found unclaimed (10c, only when something will be
 * stored), the stored size, the quotas (12), the payment broadcast, then one batch for every recipient with
 * the payment's claim. A send that may owe nothing is first written with no read before it, its admission and
 * quotas inside the write (one storage round trip); only a refused write reads and runs the checks in order.
 * @returns what became of each delivery, and the form stored (the body as sent, or the paid form).
 * @throws RelayError whatever a check refuses with (see each), ERR_STORAGE_UNAVAILABLE (503; nothing stored).
 */
async function store(
  scope: SendScope,
  send: Send,
  request: SendMessageRequest,
): Promise<{ results: DeliveryResult[]; form: StoredForm }> {
  const { env, config, db } = scope
  const asSent: StoredForm = { body: send.body }
  const outcomes = (repeats = new Set<string>()) =>
    send.deliveries.map((d) => ({ ...d, duplicate: repeats.has(d.recipient) }))

  const writeFirst =
    mayOweNothing(config, send.messageBox) && send.size <= send.maxStoredBytes && hasRoomWithoutReading(send)
  if (writeFirst) {
    const write = { fresh: send.deliveries, stored: asSent, bodyBytes: send.size, admitFree: true }
    if (await writeSend(db, send, write)) return { results: outcomes(), form: asSent }
  }

  const recipients = send.deliveries.map((d) => d.recipient)
  let charges: Charges | undefined
  let settled: SettledForm | undefined
  let broadcast: Promise<void> | undefined
  for (let attempt = 1; attempt <= MAX_SEND_ATTEMPTS; attempt++) {
    // The reads run together, one round trip before the write; the admission's refusal comes first. Neither
    // the admission nor the payment is repeated when a lost race makes us read again.
    const reads = Promise.all([findRepeats(db, send), readUsage(db, send, recipients)])
    if (!charges) {
      reads.catch(() => {}) // settled below; not an unhandled rejection while the admission is awaited
      // 10a–10b: permissions and fees.
      const admission = { sender: send.sender, messageBox: send.messageBox, recipients }
      charges = await admitSend(db, config, { ...admission, hasPayment: request.hasPayment })
    }
    // 11: a taken id wins over the quotas, and a repeat needs no room.
    const [repeats, usage] = await reads
    const results = outcomes(repeats)
    const toStore = send.deliveries.filter((d) => !repeats.has(d.recipient))
    if (toStore.length === 0) return { results, form: asSent }
    // 10c: the payment verified and unclaimed, settling the form to store (the body as sent when unpaid).
    settled ??= await settleStoredForm(db, formInputs(scope, send, request, charges), toStore, config)
    const { form } = settled
    // The stored size: the body as validated was measured already; a paid form is measured once here.
    const bodyBytes = form.body === send.body ? send.size : utf8Length(form.body)
    const sized = { ...send, size: bodyBytes + longestSuffix(form, toStore) }
    if (sized.size > send.maxStoredBytes) throw storedTooLarge(send.maxStoredBytes)
    // 12: the quotas, for the send as it will be stored.
    const storing = toStore.map((d) => d.recipient)
    checkQuotas(usage, sized, storing)
    // Given to the network once, after every check passed: nothing the relay would refuse is broadcast.
    await (broadcast ??= broadcastSettled(settled, { url: config.arcUrl, apiKey: env.ARC_API_KEY }))
    if (await writeSend(db, sized, { fresh: toStore, stored: form, bodyBytes })) return { results, form }
  }
  throw storageUnavailable('send', new Error(`refused by concurrent writes ${MAX_SEND_ATTEMPTS} times`))
}

/** What settling the stored form needs (the payment, when one is owed, and what it must pay). */
function formInputs(scope: SendScope, send: Send, request: SendMessageRequest, charges: Charges) {
  return {
    sender: send.sender,
    message: request.message,
    payment: request.payment,
    unpaidBody: request.body,
    charges,
    serverPrivateKey: scope.serverKey.privateKeyHex,
    now: send.now,
  }
}

/** UTF-8 bytes of the longest recipient's own ending (the quotas and the row cap take the largest row). */
function longestSuffix(form: StoredForm, fresh: Delivery[]): number {
  return Math.max(0, ...fresh.map((d) => utf8Length(form.suffixes?.get(d.recipient) ?? '')))
}

/** The stored-row cap (contract: checked after the payment, 413). */
function storedTooLarge(limit: number): RelayError {
  return new RelayError(
    'ERR_MESSAGE_BODY_TOO_LARGE',
    `The message as stored (with its payment) exceeds ${limit} bytes.`,
  )
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
