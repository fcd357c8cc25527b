import type { FeeTable } from '../config'
import { ALL_BOXES } from '../text'

/**
 * Fees and blocking, as pure functions (docs/contract.md "Permissions and fees"). Storage supplies each
 * recipient's rule (src/db/permissions.ts); configuration supplies the defaults; nothing here writes.
 */

/** What a fee means to a sender (also the API document's enum, src/api/schemas.ts). */
export const FEE_STATUSES = ['blocked', 'always_allow', 'payment_required'] as const
export type FeeStatus = (typeof FEE_STATUSES)[number]

export function feeStatus(fee: number): FeeStatus {
  return fee === -1 ? 'blocked' : fee === 0 ? 'always_allow' : 'payment_required'
}

/** The defaults that apply where a recipient has no rule, and the relay's own fee. */
export interface FeeDefaults {
  deliveryFees: FeeTable
  defaultRecipientFees: FeeTable
}

/**
 * The recipient fee a send into `messageBox` owes: the recipient's own rule (storage picks which applies,
 * most specific first: the box and the sender, `*` and the sender, the box, `*`) when it has one, else the
 * configured default for the box, else the configured default for `*`, else 0.
 */
export function recipientFee(rule: number | null, messageBox: string, defaults: FeeDefaults): number {
  return rule ?? fromTable(defaults.defaultRecipientFees, messageBox)
}

/** The relay's delivery fee for a send into `messageBox`: charged once per send, whatever the recipient count. */
export function deliveryFee(messageBox: string, defaults: FeeDefaults): number {
  return fromTable(defaults.deliveryFees, messageBox)
}

/** A fee table's entry for the box, else its `*` entry (every other box), else 0. */
function fromTable(table: FeeTable, messageBox: string): number {
  return table.get(messageBox) ?? table.get(ALL_BOXES) ?? 0
}

/** What a send of one message to several recipients owes, recipient by recipient. */
export interface Charges {
  /** The delivery fee, charged once when any recipient is payable (0 when all are blocked). */
  deliveryFee: number
  /** Each recipient's fee (-1 for blocked ones), in the order given. */
  fees: { recipient: string; fee: number }[]
  /** The recipients whose fee is -1, in the order given. */
  blocked: string[]
  /** Delivery fee plus the fees of the payable (non-blocked) recipients. */
  total: number
  /**
   * Set while the store is under pressure: what the sender holds waiting, and the surcharge included in
   * `deliveryFee` (PRESSURE_DELIVERY_FEE when it holds more than PRESSURE_SENDER_BYTES, else 0).
   */
  pressure: { surcharge: number; senderBytes: number } | null
}

/**
 * The charges for sending into `messageBox` to `recipients`, given each one's rule (null: none).
 * Recipients are returned as given (a quote echoes them as the client sent them).
 */
export function chargesFor(
  recipients: { recipient: string; rule: number | null }[],
  messageBox: string,
  defaults: FeeDefaults,
  pressure: Charges['pressure'] = null,
): Charges {
  const fees = recipients.map(({ recipient, rule }) => ({
    recipient,
    fee: recipientFee(rule, messageBox, defaults),
  }))
  const blocked = fees.filter((f) => f.fee === -1).map((f) => f.recipient)
  const payable = fees.filter((f) => f.fee !== -1)
  const delivery = payable.length > 0 ? deliveryFee(messageBox, defaults) + (pressure?.surcharge ?? 0) : 0
  return {
    deliveryFee: delivery,
    fees,
    blocked,
    total: payable.reduce((sum, f) => sum + f.fee, delivery),
    pressure,
  }
}
