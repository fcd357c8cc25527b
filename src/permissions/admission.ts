import type { Config } from '../config'
import { ruleVerdicts } from '../db/permissions'
import type { Db } from '../db/client'
import { senderWaitingBytes, storageFull, underPressure } from '../db/quotas'
import { RelayError } from '../errors'
import { type Charges, chargesFor, deliveryFee, recipientFee } from './fees'

/** What the admission of a send looks at. */
export interface AdmissionRequest {
  sender: string
  messageBox: string
  /** Canonical keys. */
  recipients: string[]
  /** Whether the request carried a `payment` field. */
  hasPayment: boolean
}

/**
 * sendMessage's checks 10a–10b (docs/contract.md "Permissions and fees") for the whole send: every recipient's
 * fee in one query, then a refusal if any recipient blocks the sender or a fee is owed without payment.
 * Returns what the send owes (the payment itself is verified later, check 10c). Under storage pressure a
 * heavy sender owes a surcharge, and without a payment it is refused with 507 rather than 400.
 * @throws RelayError ERR_DELIVERY_BLOCKED (403, with `blockedRecipients`), ERR_MISSING_PAYMENT_TX,
 *   ERR_STORAGE_FULL (507: a heavy sender under pressure that did not pay), ERR_STORAGE_UNAVAILABLE (503: a
 *   lookup that fails refuses the send; it never lets it through).
 */
export async function admitSend(db: Db, config: Config, request: AdmissionRequest): Promise<Charges> {
  const charges = await lookupCharges(
    db,
    config,
    request.sender,
    request.messageBox,
    request.recipients.map((key) => ({ key })),
  )
  if (charges.blocked.length > 0) {
    throw new RelayError(
      'ERR_DELIVERY_BLOCKED',
      `Delivery to ${charges.blocked.length} recipient(s) is blocked; nothing was sent.`,
      { blockedRecipients: charges.blocked },
    )
  }
  if (charges.pressure) {
    // Who fills the store while it is under pressure: one line per send, with what its sender holds.
    console.warn(
      JSON.stringify({
        storage: 'pressure',
        sender: request.sender.slice(0, 8),
        senderBytes: charges.pressure.senderBytes,
        heavy: charges.pressure.surcharge > 0,
        paid: request.hasPayment,
      }),
    )
    if (charges.pressure.surcharge > 0 && !request.hasPayment) {
      throw storageFull(
        `The relay is short of storage and you already have ${charges.pressure.senderBytes} bytes waiting: ` +
          `this send costs ${charges.total} satoshis (see GET /permissions/quote), or wait until recipients acknowledge.`,
      )
    }
  }
  if (charges.total > 0 && !request.hasPayment) {
    throw new RelayError(
      'ERR_MISSING_PAYMENT_TX',
      `This send costs ${charges.total} satoshis (see GET /permissions/quote); no payment was given.`,
    )
  }
  return charges
}

/**
 * What a send from `sender` into `messageBox` owes each recipient: their rules in one query, then the
 * defaults. The admission of a send and a quote both come from here, so a quote is what the send will owe.
 * While the store is under pressure (as this isolate last saw it), the sender's waiting bytes are read
 * alongside the rules, and one holding more than PRESSURE_SENDER_BYTES owes PRESSURE_DELIVERY_FEE on top of
 * the delivery fee (docs/contract.md "Storage pressure costs the heavy, not the light").
 * Each recipient is named in the answer by `label` (a quote echoes keys as the client sent them), else by key.
 * @throws RelayError('ERR_STORAGE_UNAVAILABLE')
 */
export async function lookupCharges(
  db: Db,
  config: Config,
  sender: string,
  messageBox: string,
  recipients: { key: string; label?: string }[],
): Promise<Charges> {
  const keys = [...new Set(recipients.map((r) => r.key))]
  const pressured = underPressure(config)
  const [verdicts, senderBytes] = await Promise.all([
    ruleVerdicts(db, keys, messageBox, sender),
    pressured ? senderWaitingBytes(db, sender, Date.now()) : 0,
  ])
  const surcharge = senderBytes > config.pressureSenderBytes ? config.pressureDeliveryFee : 0
  return chargesFor(
    recipients.map((r) => ({ recipient: r.label ?? r.key, rule: verdicts.get(r.key)?.fee ?? null })),
    messageBox,
    config,
    pressured ? { surcharge, senderBytes } : null,
  )
}

/**
 * Whether a send from anyone into `messageBox` may owe nothing: the box's defaults ask no fee (no delivery
 * fee, no default recipient fee), so only a recipient's own rule could. Such a send is admitted inside its
 * write (src/db/permissions.ts `freeUnderRules`), with no read before it; any other is admitted by
 * `admitSend` first, since most of its sends owe or are refused and reading first is cheaper.
 */
export function mayOweNothing(config: Config, messageBox: string): boolean {
  return deliveryFee(messageBox, config) === 0 && recipientFee(null, messageBox, config) === 0
}
