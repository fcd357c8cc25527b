import { PrivateKey, ProtoWallet } from '@bsv/sdk'

/** BRC-43 protocol of every BRC-104 signature (protocol.md §1.1). */
const AUTH_PROTOCOL: [2, string] = [2, 'auth message signature']

/**
 * The server's side of BRC-104 signatures: BRC-42 child keys derived per counterparty and keyID,
 * ECDSA over SHA-256 of the data, DER encoded (protocol.md §1.2).
 */
export class AuthSigner {
  readonly identityKey: string
  private readonly wallet: ProtoWallet

  constructor(privateKeyHex: string) {
    const key = new PrivateKey(privateKeyHex, 16)
    this.wallet = new ProtoWallet(key)
    this.identityKey = key.toPublicKey().toString()
  }

  /** DER signature over `data` with our child key for (`keyID`, `counterparty`). */
  async sign(data: Uint8Array, keyID: string, counterparty: string): Promise<Uint8Array> {
    const { signature } = await this.wallet.createSignature({
      data: Array.from(data),
      protocolID: AUTH_PROTOCOL,
      keyID,
      counterparty,
    })
    return Uint8Array.from(signature)
  }

  /** Whether `signature` (DER) over `data` was made by `counterparty`'s child key for `keyID`. */
  async verify(data: Uint8Array, signature: Uint8Array, keyID: string, counterparty: string): Promise<boolean> {
    try {
      const { valid } = await this.wallet.verifySignature({
        data: Array.from(data),
        signature: Array.from(signature),
        protocolID: AUTH_PROTOCOL,
        keyID,
        counterparty,
      })
      return valid
    } catch {
      // The SDK throws on an invalid signature, a malformed DER or a point off the curve.
      return false
    }
  }
}
