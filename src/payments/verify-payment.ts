import type { ChainTracker, Transaction } from '@bsv/sdk'
import { privateKeyFromHex, publicKeyFromHex } from '../crypto/brc42'
import { canonicalIdentityKey } from '../validation/identity-key'
import { scanAtomicBeef } from './beef-scan'
import { DEFAULT_PAYMENT_LIMITS, type PaymentLimits } from './limits'
import { checkDeliveryOutput, matchRecipientOutputs, type PayableRecipient } from './match-outputs'
import { readPaymentObject, type RemittanceEntry } from './payment-object'
import { PaymentRefused, type PaymentRefusal } from './refusal'
import { checkScriptBudget, parseAtomicBeef, verifyTransaction } from './transaction-verify'

export interface VerifyPaymentInput {
  /** The request's `payment` field, untrusted JSON. */
  payment: unknown
  /** The authenticated sender's identity key (any valid spelling; compared canonically). */
  sender: string
  /** SERVER_PRIVATE_KEY (64 hex): output 0 is derived for the relay's identity. */
  serverPrivateKey: string
  /** The delivery fee owed by this send, once whatever the recipient count; 0 = none (output 0 unchecked). */
  deliveryFee: number
  /** Recipients in the send's order with their applicable fees; those with fee ≤ 0 owe nothing and are skipped. */
  recipients: ReadonlyArray<{ identityKey: string; fee: number }>
  tracker: ChainTracker
  limits?: Partial<PaymentLimits>
}

/** What one payable recipient is paid with. */
export interface RecipientPayment {
  /** Canonical identity key. */
  identityKey: string
  fee: number
  /** Exactly this recipient's entries of `payment.outputs`, unchanged (objects as sent): its wrapper's `outputs`. */
  outputs: unknown[]
  /** The output paying it, and its amount (≥ fee). */
  outputIndex: number
  satoshis: number
}

/** The relay's own delivery-fee output, as recorded for the operator to claim with the server key. */
export interface DeliveryOutputRecord {
  txid: string
  vout: 0
  satoshis: number
  derivationPrefix: string
  derivationSuffix: string
  /** The authenticated sender: the counterparty of the derivation. */
  senderIdentityKey: string
  /** The AtomicBEEF as sent: what a BRC-100 wallet's internalizeAction takes. */
  beef: Uint8Array
}

export interface VerifiedPayment {
  /** The subject transaction id (display hex): the replay key. */
  txid: string
  /** The coins it spends, `<txid>.<vout>` of each input: each may pay for one send only. */
  spends: string[]
  /** The verified transaction, its inputs linked to their sources: what is broadcast (extended format). */
  transaction: Transaction
  /** The AtomicBEEF as a plain number array (also when sent in the `{"0":…}` form): the wrappers' `tx`. */
  tx: number[]
  /** One per payable recipient, in the order given. */
  recipients: RecipientPayment[]
  /** Null when no delivery fee was owed. */
  delivery: DeliveryOutputRecord | null
}

export type VerifyPaymentResult =
  | { ok: true; payment: VerifiedPayment }
  | { ok: false; refusal: PaymentRefusal }

/**
 * Checks a paid send (docs/contract.md "Payments", check 10c) and says what to store, or why not. In order,
 * cheapest first: the `payment` shape and sizes, the AtomicBEEF's structure and bounds (limits.ts), the
 * delivery output (only when `deliveryFee` > 0), each payable recipient's output, then SPV verification
 * of the transaction with the SDK against `tracker` (the only step that makes requests). Replay and
 * double spends are not checked here: the caller claims `txid` and `spends` atomically with the store
 * (409 `paymentReplayed`, `paymentDoubleSpent`) and broadcasts the transaction first (broadcast.ts).
 * @returns `{ok: true}` with the verified payment, or `{ok: false}` with the contract's refusal:
 * 400 ERR_INVALID_PAYMENT, 400 ERR_INSUFFICIENT_PAYMENT, 400 ERR_MISSING_RECIPIENT_OUTPUTS, or 503
 * ERR_PAYMENT_UNAVAILABLE (the tracker could not answer).
 * @throws Error only on a programming error: an invalid server key, sender, recipient key or fee.
 */
export async function verifyPayment(input: VerifyPaymentInput): Promise<VerifyPaymentResult> {
  const limits = { ...DEFAULT_PAYMENT_LIMITS, ...input.limits }
  const serverKey = privateKeyFromHex(input.serverPrivateKey.trim())
  const senderHex = canonicalIdentityKey(input.sender)
  if (senderHex === null) throw new Error('verifyPayment: sender is not a valid public key')
  if (!Number.isSafeInteger(input.deliveryFee) || input.deliveryFee < 0)
    throw new Error('verifyPayment: deliveryFee must be a non-negative integer')
  const payable: PayableRecipient[] = []
  for (const r of input.recipients) {
    const identityKey = canonicalIdentityKey(r.identityKey)
    if (identityKey === null || !Number.isSafeInteger(r.fee))
      throw new Error('verifyPayment: recipients must be valid keys with integer fees')
    if (r.fee > 0) payable.push({ identityKey, fee: r.fee })
  }

  try {
    const payment = readPaymentObject(input.payment, limits)
    const shape = scanAtomicBeef(payment.bytes, limits)
    let subject: Transaction
    try {
      subject = parseAtomicBeef(payment.bytes, shape.subjectTxid)
      checkScriptBudget(subject, limits)
    } catch (error) {
      if (error instanceof PaymentRefused) throw error
      throw new PaymentRefused('ERR_INVALID_PAYMENT', `payment.tx does not parse: ${String(error)}`)
    }

    let delivery: DeliveryOutputRecord | null = null
    const claimed = new Set<number>()
    let deliveryRemittance: RemittanceEntry | null = null
    if (input.deliveryFee > 0) {
      const sender = { hex: senderHex, point: publicKeyFromHex(senderHex) }
      const paid = await checkDeliveryOutput(
        subject,
        payment.remittances,
        serverKey,
        sender,
        input.deliveryFee,
      )
      deliveryRemittance = paid.remittance
      claimed.add(0)
      delivery = {
        txid: shape.subjectTxid,
        vout: 0,
        satoshis: paid.satoshis,
        derivationPrefix: paid.remittance.derivationPrefix,
        derivationSuffix: paid.remittance.derivationSuffix,
        senderIdentityKey: senderHex,
        beef: payment.bytes,
      }
    }
    const matches = await matchRecipientOutputs(
      subject,
      payment.remittances,
      payable,
      deliveryRemittance,
      claimed,
    )

    const spends = subject.inputs.map((input) => `${input.sourceTXID}.${input.sourceOutputIndex}`)
    // The network refuses a transaction that spends one coin twice; so does the relay, before asking anyone.
    if (new Set(spends).size !== spends.length) {
      throw new PaymentRefused('ERR_INVALID_PAYMENT', 'payment.tx spends the same output twice')
    }
    await verifyTransaction(subject, input.tracker, limits)

    return {
      ok: true,
      payment: {
        txid: shape.subjectTxid,
        spends,
        transaction: subject,
        tx: payment.tx,
        recipients: matches.map((m) => ({
          identityKey: m.recipient.identityKey,
          fee: m.recipient.fee,
          outputs: [m.remittance.entry],
          outputIndex: m.remittance.outputIndex,
          satoshis: m.satoshis,
        })),
        delivery,
      },
    }
  } catch (error) {
    if (error instanceof PaymentRefused) return { ok: false, refusal: error.refusal }
    throw error
  }
}
