import type { Transaction } from '@bsv/sdk'
import type { Config } from '../config'
import type { Db } from '../db/client'
import type { Delivery, StoredForm } from '../db/messages'
import { findClaimConflict } from '../db/payment-claims'
import { RelayError } from '../errors'
import type { Charges } from '../permissions/fees'
import {
  broadcastPayment,
  type Broadcaster,
  chainTrackerFor,
  paymentDoubleSpent,
  type PaymentRefusal,
  paymentReplayed,
  verifyPayment,
} from '../payments'

/** What settling a send's stored form needs. */
export interface PaidSend {
  sender: string
  /** The body as sent (string or object) and the payment as sent. */
  message: unknown
  payment: unknown
  /** The stored form when nothing is owed: the body as sent, without any `payment` that came along. */
  unpaidBody: string
  charges: Charges
  serverPrivateKey: string
  now: number
}

/** A send's stored form, and the transaction that pays for it (null when nothing was owed). */
export interface SettledForm {
  form: StoredForm
  transaction: Transaction | null
}

/**
 * Check 10c and the stored form (docs/contract.md "Payments"). Nothing owed: the body as validated (a `payment`
 * that came along is neither verified nor stored). Something owed: the payment is verified, and each recipient's stored
 * body is the reference's wrapper `{"message":…,"payment":{"tx","description","outputs"}}` carrying only its
 * own outputs (never the relay's output 0). The common part is stored once; each recipient's outputs and
 * the closing braces are its own suffix, so 100 paid recipients do not make 100 copies of a 1 MiB body.
 * A verified payment is then looked up among the claims of earlier payments (its transaction and each coin
 * it spends pay for one send only), so a payment that already paid is refused before it could be broadcast.
 * (The stored-row cap is checked by the store, on the largest row.)
 * @throws RelayError the payment's refusal (400 ERR_INVALID_PAYMENT / ERR_INSUFFICIENT_PAYMENT /
 *   ERR_MISSING_RECIPIENT_OUTPUTS, 409 ERR_PAYMENT_REPLAYED / ERR_PAYMENT_DOUBLE_SPENT, 503
 *   ERR_PAYMENT_UNAVAILABLE or ERR_STORAGE_UNAVAILABLE).
 */
export async function settleStoredForm(
  db: Db,
  send: PaidSend,
  fresh: Delivery[],
  config: Config,
): Promise<SettledForm> {
  if (send.charges.total === 0) return { form: { body: send.unpaidBody }, transaction: null }
  const settled = await paidForm(send, fresh, config)
  const conflict = await findClaimConflict(db, settled.form.claim!)
  if (conflict?.kind === 'replayed') refuse(paymentReplayed(settled.form.claim!.payment.txid))
  if (conflict?.kind === 'double-spent') refuse(paymentDoubleSpent(conflict.outpoint))
  return settled
}

/**
 * The last check before a paid send is stored: the network takes its transaction (docs/contract.md "Payments").
 * @throws RelayError 409 ERR_PAYMENT_DOUBLE_SPENT, 400 ERR_INVALID_PAYMENT or 503 ERR_PAYMENT_UNAVAILABLE.
 */
export async function broadcastSettled(settled: SettledForm, broadcaster: Broadcaster): Promise<void> {
  if (settled.transaction === null) return
  const refused = await broadcastPayment(settled.transaction, broadcaster)
  if (refused) refuse(refused)
}

function refuse(refusal: PaymentRefusal): never {
  throw new RelayError(refusal.code, refusal.description)
}

async function paidForm(send: PaidSend, fresh: Delivery[], config: Config): Promise<SettledForm> {
  const result = await verifyPayment({
    payment: send.payment,
    sender: send.sender,
    serverPrivateKey: send.serverPrivateKey,
    deliveryFee: send.charges.deliveryFee,
    recipients: send.charges.fees.map(({ recipient, fee }) => ({ identityKey: recipient, fee })),
    tracker: chainTrackerFor(config.chainTrackerUrl),
  })
  if (!result.ok) refuse(result.refusal)
  const verified = result.payment
  const description = (send.payment as { description?: unknown }).description
  // Key order differs from the reference's wrapper (outputs last), which the client's JSON.parse ignores.
  const body =
    `{"message":${JSON.stringify(send.message)},"payment":{"tx":${JSON.stringify(verified.tx)}` +
    (description === undefined ? '' : `,"description":${JSON.stringify(description)}`) +
    ',"outputs":'
  const own = new Map(verified.recipients.map((r) => [r.identityKey, r.outputs]))
  const suffixes = new Map(fresh.map((d) => [d.recipient, `${JSON.stringify(own.get(d.recipient) ?? [])}}}`]))
  const delivery = verified.delivery
  const payment = {
    txid: verified.txid,
    sender: send.sender,
    createdAt: send.now,
    deliverySatoshis: delivery?.satoshis ?? null,
    derivationPrefix: delivery?.derivationPrefix ?? null,
    derivationSuffix: delivery?.derivationSuffix ?? null,
    beef: delivery ? base64(delivery.beef) : null,
  }
  return {
    form: { body, suffixes, claim: { payment, spends: verified.spends } },
    transaction: verified.transaction,
  }
}

function base64(bytes: Uint8Array): string {
  let text = ''
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  }
  return btoa(text)
}
