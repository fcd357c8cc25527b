// The shapes BRC-103 fixes for both transports (HTTP headers of BRC-104, and the socket's authMessage events).

/** The auth protocol version every message carries. */
export const AUTH_VERSION = '0.1'

const COMPRESSED_KEY = /^0[23][0-9a-fA-F]{64}$/

/** Whether `text` has the shape of a compressed public key in hex (whether it is on the curve is the signer's check). */
export function isCompressedKeyHex(text: string): boolean {
  return COMPRESSED_KEY.test(text)
}

/** A DER secp256k1 signature is 8..72 bytes. */
export const MIN_DER = 8
export const MAX_DER = 72
