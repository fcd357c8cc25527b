import { base64Bytes, randomBytes, toBase64 } from '../../crypto/encoding'

/**
 * Server session nonces `S = base64(r16 ‖ HMAC-SHA256(key, r16))`: 48 bytes as the next SDK requires,
 * microseconds to make and check with WebCrypto (protocol.md §5.3). The MAC is only a pre-filter that
 * turns garbage away before storage is touched; the session record is the source of truth.
 */
export const SERVER_NONCE_BYTES = 48

/** A fresh server session nonce. */
export async function createServerNonce(key: CryptoKey): Promise<string> {
  const random = randomBytes(16)
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, random))
  const nonce = new Uint8Array(SERVER_NONCE_BYTES)
  nonce.set(random)
  nonce.set(mac, 16)
  return toBase64(nonce)
}

/** Whether `nonce` is canonical base64 of 48 bytes carrying our MAC (constant-time compare by WebCrypto). */
export async function isServerNonce(key: CryptoKey, nonce: string): Promise<boolean> {
  const bytes = base64Bytes(nonce, SERVER_NONCE_BYTES)
  if (!bytes) return false
  return crypto.subtle.verify('HMAC', key, bytes.subarray(16), bytes.subarray(0, 16))
}
