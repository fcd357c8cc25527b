import { canonicalIdentityKey } from '../validation/identity-key'
import type { PaymentLimits } from './limits'
import { PaymentRefused } from './refusal'

/** One `payment.outputs` entry with protocol "wallet payment", read; `entry` is the object as sent. */
export interface RemittanceEntry {
  /** Position in `payment.outputs`. */
  position: number
  outputIndex: number
  derivationPrefix: string
  derivationSuffix: string
  /** Canonical (compressed lowercase), or null when not a valid key. */
  senderIdentityKey: string | null
  /** `customInstructions.recipientIdentityKey` (canonical) when a client sent one. */
  namedRecipient: string | null
  entry: unknown
}

/** The request's `payment`, read and bounded; nothing verified yet. */
export interface PaymentObject {
  /** The AtomicBEEF as a plain number array (the stored wrapper's `tx`). */
  tx: number[]
  bytes: Uint8Array
  /** Every entry with protocol "wallet payment", in array order (other protocols are left alone). */
  remittances: RemittanceEntry[]
}

// Base64 as the wallets' internalizeAction validates it; the client sends 32 random bytes (44 chars).
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/
const MAX_DERIVATION_CHARS = 256

/**
 * Reads untrusted `payment` JSON: `tx` a JSON array of integers 0–255, or the `{"0":…,"1":…}` form
 * `JSON.stringify` gives a Uint8Array (normalized to an array, keys exactly 0…n-1); `outputs` an array
 * of entries. Sizes are checked before anything is iterated.
 * @throws PaymentRefused('ERR_INVALID_PAYMENT') naming the first problem.
 */
export function readPaymentObject(payment: unknown, limits: PaymentLimits): PaymentObject {
  if (!isRecord(payment)) invalid('payment must be an object')
  const tx = readTxBytes(payment.tx, limits.maxBeefBytes)
  const outputs = payment.outputs
  if (!Array.isArray(outputs)) invalid('payment.outputs must be an array')
  if (outputs.length > limits.maxOutputEntries)
    invalid(`payment.outputs has more than ${limits.maxOutputEntries} entries`)
  const remittances: RemittanceEntry[] = []
  outputs.forEach((entry: unknown, position) => {
    const where = `payment.outputs[${position}]`
    if (!isRecord(entry)) invalid(`${where} must be an object`)
    const { outputIndex, protocol, paymentRemittance } = entry
    if (!Number.isSafeInteger(outputIndex) || (outputIndex as number) < 0)
      invalid(`${where}.outputIndex must be a non-negative integer`)
    if (typeof protocol !== 'string') invalid(`${where}.protocol must be a string`)
    if (protocol !== 'wallet payment') return
    if (!isRecord(paymentRemittance)) invalid(`${where}.paymentRemittance must be an object`)
    const { derivationPrefix, derivationSuffix, senderIdentityKey } = paymentRemittance
    for (const [name, value] of [
      ['derivationPrefix', derivationPrefix],
      ['derivationSuffix', derivationSuffix],
    ] as const) {
      if (typeof value !== 'string' || value.length > MAX_DERIVATION_CHARS || !BASE64.test(value))
        invalid(
          `${where}.paymentRemittance.${name} must be base64 of at most ${MAX_DERIVATION_CHARS} characters`,
        )
    }
    if (typeof senderIdentityKey !== 'string')
      invalid(`${where}.paymentRemittance.senderIdentityKey must be a string`)
    remittances.push({
      position,
      outputIndex: outputIndex as number,
      derivationPrefix: derivationPrefix as string,
      derivationSuffix: derivationSuffix as string,
      senderIdentityKey: canonicalIdentityKey(senderIdentityKey),
      namedRecipient: namedRecipient(entry.customInstructions),
      entry,
    })
  })
  return { tx, bytes: Uint8Array.from(tx), remittances }
}

function readTxBytes(value: unknown, maxBytes: number): number[] {
  let bytes: number[]
  if (Array.isArray(value)) {
    if (value.length > maxBytes) tooLarge(maxBytes)
    bytes = value
  } else if (isRecord(value)) {
    const keys = Object.keys(value)
    if (keys.length > maxBytes) tooLarge(maxBytes)
    bytes = new Array<number>(keys.length)
    for (let i = 0; i < keys.length; i++) {
      if (!Object.hasOwn(value, String(i))) invalid('payment.tx as an object must have the keys 0…n-1')
      bytes[i] = value[String(i)] as number
    }
  } else {
    invalid('payment.tx must be an array of bytes')
  }
  if (bytes.length === 0) invalid('payment.tx is empty')
  for (const b of bytes) {
    if (!Number.isInteger(b) || b < 0 || b > 255) invalid('payment.tx must hold only integers 0–255')
  }
  return Array.isArray(value) ? bytes.slice() : bytes
}

/** The recipient a `customInstructions` (a JSON string, or an object) names, if it names a valid key. */
function namedRecipient(customInstructions: unknown): string | null {
  let parsed = customInstructions
  if (typeof customInstructions === 'string') {
    if (customInstructions.length > 4096) return null
    try {
      parsed = JSON.parse(customInstructions)
    } catch {
      return null
    }
  }
  return isRecord(parsed) ? canonicalIdentityKey(parsed.recipientIdentityKey) : null
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function tooLarge(maxBytes: number): never {
  invalid(`payment.tx is larger than ${maxBytes} bytes`)
}

function invalid(description: string): never {
  throw new PaymentRefused('ERR_INVALID_PAYMENT', description)
}
