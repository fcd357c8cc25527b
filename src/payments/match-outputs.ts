import type { Transaction } from '@bsv/sdk'
import { publicKeyFromHex, type CurvePoint } from '../crypto/brc42'
import { ANYONE_IDENTITY_KEY, AnyonePaymentKeys, p2pkhScriptHex, serverPaymentKey } from './brc29'
import type { RemittanceEntry } from './payment-object'
import { PaymentRefused } from './refusal'

/** A recipient that owes nothing is not listed; `fee` > 0. */
export interface PayableRecipient {
  /** Canonical identity key. */
  identityKey: string
  fee: number
}

/** The entry that pays one payable recipient, as matched. */
export interface RecipientMatch {
  recipient: PayableRecipient
  remittance: RemittanceEntry
  satoshis: number
}

// Beyond one derivation per payable recipient, how many more the fallback search may spend (a fee that
// changed since the quote shifts positions): each is an HMAC and a point multiplication.
const EXTRA_DERIVATIONS = 32

/**
 * Output 0 must pay at least `fee` to the relay's BRC-29 key for its derivation, with the authenticated
 * sender as `senderIdentityKey` (the counterparty of that derivation).
 * @returns the entry of output 0 and what it pays.
 * @throws PaymentRefused('ERR_INSUFFICIENT_PAYMENT') naming what is wrong.
 */
export async function checkDeliveryOutput(
  subject: Transaction,
  remittances: RemittanceEntry[],
  serverPrivateKey: bigint,
  sender: { hex: string; point: CurvePoint },
  fee: number,
): Promise<{ remittance: RemittanceEntry; satoshis: number }> {
  const remittance = remittances.find((r) => r.outputIndex === 0)
  if (!remittance)
    insufficient(
      `The delivery fee of ${fee} satoshis must be paid by output 0, and payment.outputs has no entry for it.`,
    )
  if (remittance.senderIdentityKey !== sender.hex)
    insufficient('The delivery output (output 0) must name the authenticated sender as senderIdentityKey.')
  const output = subject.outputs[0]
  const expected = p2pkhScriptHex(
    await serverPaymentKey(
      serverPrivateKey,
      sender.point,
      remittance.derivationPrefix,
      remittance.derivationSuffix,
    ),
  )
  if (!output || output.lockingScript.toHex() !== expected)
    insufficient("The delivery output (output 0) does not pay the relay's key for its derivation.")
  const satoshis = output.satoshis ?? 0
  if (satoshis < fee)
    insufficient(`The delivery output (output 0) pays ${satoshis} satoshis; the delivery fee is ${fee}.`)
  return { remittance, satoshis }
}

/**
 * Finds each payable recipient's output among the "anyone"-key entries (docs/payments-and-push.md A4): an
 * entry whose `customInstructions` names a payable recipient is that recipient's; the others are taken
 * in order (the k-th unmatched recipient gets the k-th unnamed entry), falling back to the other unused
 * entries when that one does not pay it. Every match is confirmed: the recipient's script for the
 * entry's derivation, paying at least its fee. `claimed` holds output indexes already taken (output 0
 * when it pays the delivery fee).
 * @returns one match per payable recipient, in `recipients` order.
 * @throws PaymentRefused('ERR_MISSING_RECIPIENT_OUTPUTS') naming the first recipient left unpaid, or an
 * entry whose output index is out of range or claimed twice.
 */
export async function matchRecipientOutputs(
  subject: Transaction,
  remittances: RemittanceEntry[],
  recipients: PayableRecipient[],
  exclude: RemittanceEntry | null,
  claimed: Set<number>,
): Promise<RecipientMatch[]> {
  if (recipients.length === 0) return []
  const taken = new Set(claimed)
  const candidates = remittances.filter((r) => r !== exclude && r.senderIdentityKey === ANYONE_IDENTITY_KEY)
  for (const c of candidates) {
    const where = `payment.outputs[${c.position}]`
    if (c.outputIndex >= subject.outputs.length)
      missing(
        `${where}.outputIndex ${c.outputIndex} is out of range (the transaction has ${subject.outputs.length} outputs).`,
      )
    if (taken.has(c.outputIndex))
      missing(`${where}.outputIndex ${c.outputIndex} is claimed by another entry.`)
    taken.add(c.outputIndex)
  }

  const keys = recipients.map((r) => new AnyonePaymentKeys(publicKeyFromHex(r.identityKey)))
  const matches: Array<RecipientMatch | undefined> = new Array(recipients.length)
  const used = new Set<RemittanceEntry>()
  let budget = recipients.length + EXTRA_DERIVATIONS
  const shortfalls = new Map<number, string>()

  const tryPay = async (k: number, c: RemittanceEntry): Promise<boolean> => {
    if (budget-- <= 0)
      missing(
        `Could not match payment.outputs to the recipients within ${recipients.length + EXTRA_DERIVATIONS} derivations.`,
      )
    const output = subject.outputs[c.outputIndex]!
    const key = await keys[k]!.derive(c.derivationPrefix, c.derivationSuffix)
    if (output.lockingScript.toHex() !== p2pkhScriptHex(key)) return false
    const satoshis = output.satoshis ?? 0
    if (satoshis < recipients[k]!.fee) {
      shortfalls.set(k, `output ${c.outputIndex} pays it ${satoshis} satoshis`)
      return false
    }
    matches[k] = { recipient: recipients[k]!, remittance: c, satoshis }
    used.add(c)
    return true
  }

  for (const c of candidates) {
    if (c.namedRecipient === null) continue
    const k = recipients.findIndex((r) => r.identityKey === c.namedRecipient)
    if (k < 0 || matches[k]) continue // names someone who owes nothing here, or a second entry: an extra output
    if (!(await tryPay(k, c)))
      missing(
        `payment.outputs[${c.position}] names recipient ${c.namedRecipient} but does not pay it its fee of ${recipients[k]!.fee} satoshis.`,
      )
  }

  const unnamed = candidates.filter((c) => c.namedRecipient === null)
  let position = 0
  for (let k = 0; k < recipients.length; k++) {
    if (matches[k]) continue
    const own = unnamed[position++]
    const order = own && !used.has(own) ? [own, ...unnamed.filter((c) => c !== own)] : unnamed
    let paid = false
    for (const c of order) {
      if (used.has(c)) continue
      if ((paid = await tryPay(k, c))) break
    }
    if (!paid) {
      const { identityKey, fee } = recipients[k]!
      const shortfall = shortfalls.get(k)
      missing(
        `No output pays recipient ${identityKey} its fee of ${fee} satoshis` +
          (shortfall ? ` (${shortfall}).` : '.'),
      )
    }
  }
  return matches as RecipientMatch[]
}

function insufficient(description: string): never {
  throw new PaymentRefused('ERR_INSUFFICIENT_PAYMENT', description)
}

function missing(description: string): never {
  throw new PaymentRefused('ERR_MISSING_RECIPIENT_OUTPUTS', description)
}
