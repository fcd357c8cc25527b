import type { Config } from '../config'
import type { Db } from '../db/client'
import type { QuoteQuery } from '../validation/permissions'
import { lookupCharges } from './admission'
import { deliveryFee, feeStatus } from './fees'

const DESCRIPTION = 'Message delivery quote generated.'

/**
 * The answer to `GET /permissions/quote` for `sender`: what a send into the box would owe, by the same
 * rules the send itself is admitted by (one lookup for all recipients; nothing is written).
 * One recipient gets the reference's `quote` shape; several get per-recipient quotes and totals.
 * @throws RelayError('ERR_STORAGE_UNAVAILABLE')
 */
export async function quoteSend(db: Db, config: Config, sender: string, query: QuoteQuery) {
  const { messageBox, recipients } = query
  // Recipients are echoed as sent: the batch client matches them by string.
  const charges = await lookupCharges(
    db,
    config,
    sender,
    messageBox,
    recipients.map((r) => ({ key: r.recipient, label: r.given })),
  )
  // Every entry carries the box's full delivery fee (with a heavy sender's surcharge under storage
  // pressure, so the real client pays it by itself): the client pays the first payable entry's, once.
  const perSend = deliveryFee(messageBox, config) + (charges.pressure?.surcharge ?? 0)
  if (recipients.length === 1) {
    const quote = { deliveryFee: perSend, recipientFee: charges.fees[0]!.fee }
    return { status: 'success', description: DESCRIPTION, quote }
  }
  return {
    status: 'success',
    description: DESCRIPTION,
    quotesByRecipient: charges.fees.map(({ recipient, fee }) => ({
      recipient,
      messageBox,
      deliveryFee: perSend,
      recipientFee: fee,
      status: feeStatus(fee),
    })),
    totals: {
      deliveryFees: charges.deliveryFee,
      recipientFees: charges.total - charges.deliveryFee,
      totalForPayableRecipients: charges.total,
    },
    blockedRecipients: charges.blocked,
  }
}
