import { decodeBase64, encodeBase64 } from 'hono/utils/encode'

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/
const HEX = /^(?:[0-9a-fA-F]{2})*$/

/**
 * Decodes canonical base64 of exactly `length` bytes, or returns null. Canonical (re-encodes to the
 * same text) because the next SDK rejects anything else and a lax decoder would let two spellings of
 * one nonce pass the replay check.
 */
export function base64Bytes(text: string, length: number): Uint8Array | null {
  if (text.length !== 4 * Math.ceil(length / 3) || !BASE64.test(text)) return null
  const bytes = decodeBase64(text)
  if (bytes.length !== length || encodeBase64(bytes.buffer as ArrayBuffer) !== text) return null
  return bytes
}

/** Standard base64 of `bytes`, with padding. */
export function toBase64(bytes: Uint8Array): string {
  return encodeBase64(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
  )
}

/** Decodes hex (either case) of `minBytes`..`maxBytes` bytes, or returns null. */
export function hexBytes(text: string, minBytes: number, maxBytes: number): Uint8Array | null {
  if (text.length < 2 * minBytes || text.length > 2 * maxBytes || !HEX.test(text)) return null
  const bytes = new Uint8Array(text.length / 2)
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16)
  return bytes
}

/** Lowercase hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  let out = ''
  for (const b of bytes) out += b.toString(16).padStart(2, '0')
  return out
}

/** `n` bytes from the platform CSPRNG (only callable inside a request: Workers forbid it at module scope). */
export function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n))
}
