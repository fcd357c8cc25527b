import type { WeierstrassPoint } from '@noble/curves/abstract/weierstrass.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'

/**
 * BRC-42 key derivation exactly as @bsv/sdk 2.1.0 does it (docs/protocol.md §1.2), on @noble/curves:
 * `h = HMAC-SHA256(key = compressed(sk·PK) [33 bytes], msg = invoice)`,
 * `childPriv = sk + h mod n`, `childPub = PK + h·G`.
 */

export type CurvePoint = WeierstrassPoint<bigint>
export const { Point } = secp256k1
export const Fn = Point.Fn

const utf8 = new TextEncoder()

// noble builds its table of multiples of G (~1400 points) on the first multiplication by G: some
// 25 ms of CPU in workerd. Building it while the isolate starts keeps it out of the first request's
// CPU time (the Workers CPU limit is per request; startup has its own, far larger, limit). This is
// public constant data, not key material, and involves no randomness: in workerd noble's CSPRNG probe
// fails at module scope, so this multiplication takes the plain constant-time path.
Point.BASE.multiply(3n)

/** A private key from 64 hex characters. @throws Error when it is not a valid secp256k1 scalar. */
export function privateKeyFromHex(hex: string): bigint {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error('private key must be 64 hex characters')
  const key = BigInt('0x' + hex)
  if (!Fn.isValidNot0(key)) throw new Error('private key is out of range')
  return key
}

/** A public key (compressed or uncompressed hex), checked to be on the curve. @throws Error otherwise. */
export function publicKeyFromHex(hex: string): CurvePoint {
  const point = Point.fromHex(hex)
  point.assertValidity()
  return point
}

/** The BRC-42 HMAC key: the SEC1-compressed shared point `sk·PK` (33 bytes, not the x coordinate alone). */
export function sharedSecret(privateKey: bigint, publicKey: CurvePoint): Uint8Array {
  return publicKey.multiply(privateKey).toBytes(true)
}

/** `HMAC-SHA256(hmacKey, invoice) mod n`, with a WebCrypto HMAC key made by {@link importSharedSecret}. */
export async function invoiceScalar(hmacKey: CryptoKey, invoice: string): Promise<bigint> {
  const mac = await crypto.subtle.sign('HMAC', hmacKey, utf8.encode(invoice))
  return Fn.create(bytesToBigInt(new Uint8Array(mac)))
}

/** The shared secret as a WebCrypto HMAC-SHA256 key (cheap to reuse for every invoice with one peer). */
export function importSharedSecret(shared: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', shared, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
}

/** `PrivateKey.deriveChild(PK, invoice)`: our child private key for a counterparty. */
export async function deriveChildPrivate(
  privateKey: bigint,
  counterparty: CurvePoint,
  invoice: string,
): Promise<bigint> {
  const h = await invoiceScalar(await importSharedSecret(sharedSecret(privateKey, counterparty)), invoice)
  return Fn.create(privateKey + h)
}

export function bytesToBigInt(bytes: Uint8Array): bigint {
  let hex = '0x'
  for (const b of bytes) hex += (b < 16 ? '0' : '') + b.toString(16)
  return hex.length === 2 ? 0n : BigInt(hex)
}
