import { base64Bytes, randomBytes, toBase64 } from '../crypto/encoding'

/**
 * Engine.IO session ids: `base64url(r16 ‖ HMAC-SHA256(key, "live sid" ‖ r16)[0..14])`, 40 characters (no padding). The sid is
 * also the name of the connection's Durable Object, so every polling request and the upgrade of one
 * session reach the same object; the MAC lets the Worker refuse a made-up sid without waking (or creating)
 * an object for it. It is a bearer token like any Engine.IO sid: 128 random bits, never logged in full.
 */
const RANDOM_BYTES = 16
const MAC_BYTES = 14
const SID_BYTES = RANDOM_BYTES + MAC_BYTES
const DOMAIN = new TextEncoder().encode('live sid\n')

export async function createConnectionId(key: CryptoKey): Promise<string> {
  const random = randomBytes(RANDOM_BYTES)
  const bytes = new Uint8Array(SID_BYTES)
  bytes.set(random)
  bytes.set(await mac(key, random), RANDOM_BYTES)
  return toBase64Url(bytes)
}

export async function isConnectionId(key: CryptoKey, sid: string): Promise<boolean> {
  const bytes = base64Bytes(fromBase64Url(sid), SID_BYTES)
  if (!bytes) return false
  const expected = await mac(key, bytes.subarray(0, RANDOM_BYTES))
  // Both are MACs of attacker-known input under our key; compare without an early exit all the same.
  let diff = 0
  for (let i = 0; i < MAC_BYTES; i++) diff |= expected[i]! ^ bytes[RANDOM_BYTES + i]!
  return diff === 0
}

async function mac(key: CryptoKey, random: Uint8Array): Promise<Uint8Array> {
  const input = new Uint8Array(DOMAIN.length + random.length)
  input.set(DOMAIN)
  input.set(random, DOMAIN.length)
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, input)).subarray(0, MAC_BYTES)
}

function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replaceAll('+', '-').replaceAll('/', '_')
}

function fromBase64Url(text: string): string {
  return /^[A-Za-z0-9_-]*$/.test(text) ? text.replaceAll('-', '+').replaceAll('_', '/') : '!'
}
