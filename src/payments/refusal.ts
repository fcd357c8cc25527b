/**
 * The contract codes a payment can be refused with (docs/contract.md "Payments"). Whether a transaction or one
 * of its coins already paid is decided by the store (claimed in the same D1 batch as the messages), not
 * here; {@link paymentReplayed} and {@link paymentDoubleSpent} build those refusals so every payment answer
 * has one shape.
 */
export type PaymentErrorCode =
  | 'ERR_INVALID_PAYMENT'
  | 'ERR_INSUFFICIENT_PAYMENT'
  | 'ERR_MISSING_RECIPIENT_OUTPUTS'
  | 'ERR_PAYMENT_REPLAYED'
  | 'ERR_PAYMENT_DOUBLE_SPENT'
  | 'ERR_PAYMENT_UNAVAILABLE'

/** Why a payment was not accepted: the contract's code, its HTTP status and a description for the client. */
export interface PaymentRefusal {
  code: PaymentErrorCode
  status: 400 | 409 | 503
  description: string
}

const STATUS: Record<PaymentErrorCode, PaymentRefusal['status']> = {
  ERR_INVALID_PAYMENT: 400,
  ERR_INSUFFICIENT_PAYMENT: 400,
  ERR_MISSING_RECIPIENT_OUTPUTS: 400,
  ERR_PAYMENT_REPLAYED: 409,
  ERR_PAYMENT_DOUBLE_SPENT: 409,
  ERR_PAYMENT_UNAVAILABLE: 503,
}

/** A refusal with the status the contract gives `code`. */
export function refusal(code: PaymentErrorCode, description: string): PaymentRefusal {
  return { code, status: STATUS[code], description }
}

/** The 409 for a transaction that already paid for another send. */
export function paymentReplayed(txid: string): PaymentRefusal {
  return refusal('ERR_PAYMENT_REPLAYED', `Transaction ${txid} has already paid for another message.`)
}

/** The 409 for a transaction spending a coin (`<txid>.<vout>`) that an earlier accepted payment spent. */
export function paymentDoubleSpent(outpoint: string): PaymentRefusal {
  return refusal(
    'ERR_PAYMENT_DOUBLE_SPENT',
    `This payment spends ${outpoint}, which an earlier payment already spent; nothing was stored.`,
  )
}

/**
 * Thrown inside the payments module to stop at the first failure; `verifyPayment` turns it into its
 * result, so callers never see it.
 */
export class PaymentRefused extends Error {
  readonly refusal: PaymentRefusal

  constructor(code: PaymentErrorCode, description: string) {
    super(description)
    this.name = 'PaymentRefused'
    this.refusal = refusal(code, description)
  }
}
