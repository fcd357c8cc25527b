import { Hash } from '@bsv/sdk'
import {
  Point,
  deriveChildPrivate,
  importSharedSecret,
  invoiceScalar,
  type CurvePoint,
} from '../crypto/brc42'
import { toHex } from '../crypto/encoding'

/**
 * BRC-29 payment keys (docs/payments-and-push.md A3/A4) on the relay's BRC-42 code: protocol
 * `[2, "3241645161d8"]`, keyID `"<prefix> <suffix>"`, so the invoice is `2-3241645161d8-<prefix> <suffix>`.
 */
export const BRC29_PROTOCOL_ID = [2, '3241645161d8'] as const

/** The "anyone" wallet's identity key: private key 1, so the generator G. */
export const ANYONE_IDENTITY_KEY = '0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798'

/** The BRC-42 invoice number of a BRC-29 output. */
export function brc29Invoice(derivationPrefix: string, derivationSuffix: string): string {
  return `2-3241645161d8-${derivationPrefix} ${derivationSuffix}`
}

/**
 * The key the sender paid the relay at, as the relay (the owner) derives it:
 * `(serverPriv + h)·G` with `h = HMAC(compressed(serverPriv·SenderPub), invoice)` — the public key
 * `KeyDeriver(serverPriv).derivePublicKey(protocol, keyID, sender, true)` gives.
 */
export async function serverPaymentKey(
  serverPrivateKey: bigint,
  sender: CurvePoint,
  derivationPrefix: string,
  derivationSuffix: string,
): Promise<CurvePoint> {
  const child = await deriveChildPrivate(
    serverPrivateKey,
    sender,
    brc29Invoice(derivationPrefix, derivationSuffix),
  )
  return Point.BASE.multiply(child)
}

/**
 * Derives recipient payment keys the way the sender's "anyone" wallet did (private key 1): the shared
 * point is `1·R = R`, so `h = HMAC(compressed(R), invoice)` and the key is `R + h·G`. No secret is
 * involved, which is what lets the relay check a recipient's output. One instance per recipient reuses
 * its HMAC key across invoices.
 */
export class AnyonePaymentKeys {
  private hmacKey: Promise<CryptoKey> | undefined

  constructor(readonly recipient: CurvePoint) {}

  async derive(derivationPrefix: string, derivationSuffix: string): Promise<CurvePoint> {
    this.hmacKey ??= importSharedSecret(this.recipient.toBytes(true))
    const h = await invoiceScalar(await this.hmacKey, brc29Invoice(derivationPrefix, derivationSuffix))
    return h === 0n ? this.recipient : this.recipient.add(Point.BASE.multiply(h))
  }
}

/** The P2PKH locking script paying `key` (hex): `76 a9 14 <HASH160(compressed key)> 88 ac`. */
export function p2pkhScriptHex(key: CurvePoint): string {
  return '76a914' + toHex(Uint8Array.from(Hash.hash160(Array.from(key.toBytes(true))))) + '88ac'
}
