import { type CurvePoint, importSharedSecret, invoiceScalar, sharedSecret } from '../../src/crypto/brc42'
import { secp256k1 } from '@noble/curves/secp256k1.js'

/**
 * `PublicKey.deriveChild(sk, invoice)` of BRC-42: the counterparty's child public key as its peer derives it,
 * built from the relay's own primitives (the relay itself only ever derives it inside AuthSigner's verify),
 * so the vectors of docs/protocol.md §13.1 check those primitives.
 */
export async function deriveChildPublic(
  privateKey: bigint,
  counterparty: CurvePoint,
  invoice: string,
): Promise<CurvePoint> {
  const h = await invoiceScalar(await importSharedSecret(sharedSecret(privateKey, counterparty)), invoice)
  return h === 0n ? counterparty : counterparty.add(secp256k1.Point.BASE.multiply(h))
}
