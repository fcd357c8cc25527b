import { secp256k1 } from '@noble/curves/secp256k1.js'
import type { JsonSchema } from './field'

// Compressed (02/03 + x) or uncompressed (04 + x + y), any hex case; hybrid (06/07) and infinity are not keys.
// No flags, so that its source is also the JSON Schema pattern below.
const KEY_SHAPE = /^(0[23][0-9a-fA-F]{64}|04[0-9a-fA-F]{128})$/

/** A public key as a request may give it (whether it is on the curve is checked, not expressible here). */
export const identityKeySchema: JsonSchema = {
  type: 'string',
  pattern: KEY_SHAPE.source,
  description:
    'A secp256k1 public key in hex: compressed (66 characters, 02/03…) or uncompressed (130, 04…), any case.',
}

/** A key as the relay stores, compares and returns it: 66-char lowercase compressed hex. */
export const canonicalKeySchema: JsonSchema = {
  type: 'string',
  pattern: '^0[23][0-9a-f]{64}$',
  description: 'A secp256k1 public key: 66-char lowercase compressed hex.',
}

/**
 * The canonical form of a secp256k1 public key (66-char lowercase compressed hex), or null when
 * `value` is not a valid key: wrong type or shape, or a point not on the curve.
 */
export function canonicalIdentityKey(value: unknown): string | null {
  if (typeof value !== 'string' || !KEY_SHAPE.test(value)) return null
  try {
    return secp256k1.Point.fromHex(value.toLowerCase()).toHex(true)
  } catch {
    return null
  }
}
