import { base64Bytes, hexBytes } from '../../crypto/encoding'
import { RelayError } from '../../errors'
import { AUTH_VERSION, isCompressedKeyHex, MAX_DER, MIN_DER } from '../../brc103/wire'
import { SERVER_NONCE_BYTES } from '../../brc103/server-nonce'

/** The `x-bsv-auth-*` headers of a general request, checked for shape only (no crypto yet). */
export interface AuthHeaders {
  identityKey: string
  /** Per-request nonce (base64 of 32 bytes): the replay key and half of the keyID. */
  nonce: string
  /** The server session nonce `S` from the handshake. */
  serverNonce: string
  requestIdBase64: string
  requestId: Uint8Array
  signature: Uint8Array
}

/** Whether a request carries BRC-104 auth at all (the header the reference middleware looks for). */
export function hasAuthHeaders(headers: Headers): boolean {
  return headers.has('x-bsv-auth-request-id')
}

/**
 * Reads and checks the auth headers with length and format checks only, so that malformed input
 * never reaches elliptic-curve code (docs/protocol.md §7.4).
 * @throws RelayError ERR_UNSUPPORTED_AUTH_VERSION (401) or ERR_MALFORMED_AUTH_HEADERS (400).
 */
export function parseAuthHeaders(headers: Headers): AuthHeaders {
  const version = headers.get('x-bsv-auth-version')
  if (version !== AUTH_VERSION) {
    throw new RelayError(
      'ERR_UNSUPPORTED_AUTH_VERSION',
      `Invalid or unsupported message auth version! Received: ${String(version).slice(0, 16)}, expected: ${AUTH_VERSION}`,
    )
  }
  const identityKey = headers.get('x-bsv-auth-identity-key') ?? ''
  if (!isCompressedKeyHex(identityKey))
    malformed('x-bsv-auth-identity-key must be a 33-byte compressed public key in hex')

  const nonce = headers.get('x-bsv-auth-nonce') ?? ''
  if (!base64Bytes(nonce, 32)) malformed('x-bsv-auth-nonce must be base64 of 32 bytes')

  const serverNonce = headers.get('x-bsv-auth-your-nonce') ?? ''
  if (!base64Bytes(serverNonce, SERVER_NONCE_BYTES))
    malformed('x-bsv-auth-your-nonce must be base64 of 48 bytes')

  const requestIdBase64 = headers.get('x-bsv-auth-request-id') ?? ''
  const requestId = base64Bytes(requestIdBase64, 32)
  if (!requestId) malformed('x-bsv-auth-request-id must be base64 of 32 bytes')

  const signature = hexBytes(headers.get('x-bsv-auth-signature') ?? '', MIN_DER, MAX_DER)
  if (!signature) malformed('x-bsv-auth-signature must be a hex DER signature')

  return { identityKey: identityKey.toLowerCase(), nonce, serverNonce, requestIdBase64, requestId, signature }
}

function malformed(description: string): never {
  throw new RelayError('ERR_MALFORMED_AUTH_HEADERS', description)
}
