import { base64Bytes, randomBytes, toBase64 } from '../crypto/encoding'

/**
 * Server session nonces `S = base64(r16 ‖ HMAC-SHA256(key, r16 ‖ identityKey))`: 48 bytes, as the next
 * SDK requires of `initialResponse.initialNonce` (so `S` cannot also carry the client's nonce: the session
 * record stays, docs/protocol.md §5.2), microseconds to make and check with WebCrypto (§5.3).
 *
 * The MAC covers the identity the nonce was issued for, so an `S` is worthless for any other identity:
 * a request or certificateRequest naming another key fails here, before storage is touched. It is still
 * only a pre-filter; the session record in the identity's Mailbox is the source of truth.
 */
export const SERVER_NONCE_BYTES = 48

const RANDOM_BYTES = 16
const utf8 = new TextEncoder()

/** A fresh server session nonce for `identityKey` (canonical: 66 lowercase hex characters). */
export async function createServerNonce(key: CryptoKey, identityKey: string): Promise<string> {
  const random = randomBytes(RANDOM_BYTES)
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, macInput(random, identityKey)))
  const nonce = new Uint8Array(SERVER_NONCE_BYTES)
  nonce.set(random)
  nonce.set(mac, RANDOM_BYTES)
  return toBase64(nonce)
}

/**
 * Whether `nonce` is canonical base64 of 48 bytes carrying our MAC for `identityKey` (constant-time
 * compare by WebCrypto).
 */
export async function isServerNonce(key: CryptoKey, nonce: string, identityKey: string): Promise<boolean> {
  const bytes = base64Bytes(nonce, SERVER_NONCE_BYTES)
  if (!bytes) return false
  const random = bytes.subarray(0, RANDOM_BYTES)
  return crypto.subtle.verify('HMAC', key, bytes.subarray(RANDOM_BYTES), macInput(random, identityKey))
}

function macInput(random: Uint8Array, identityKey: string): Uint8Array {
  const identity = utf8.encode(identityKey)
  const input = new Uint8Array(random.length + identity.length)
  input.set(random)
  input.set(identity, random.length)
  return input
}
