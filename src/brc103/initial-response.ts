import { base64Bytes } from '../crypto/encoding'
import type { ServerKey } from '../crypto/server-key'
import { RelayError } from '../errors'
import { AUTH_VERSION, isCompressedKeyHex } from './wire'
import { createServerNonce } from './server-nonce'

/** We request no certificates (BRC-33 identifies parties by key alone). */
export const NO_CERTIFICATES = { certifiers: [], types: {} }

/** A session the relay agreed to open: who, both nonces, and the signed `initialResponse` to send. */
export interface SessionOpening {
  identityKey: string
  clientNonce: string
  serverNonce: string
  response: Record<string, unknown>
}

/**
 * The relay's answer to a BRC-103 `initialRequest`, for both transports (HTTP `/.well-known/auth` and the
 * live socket's `authMessage`): a fresh server nonce for the caller, and our signature over
 * `clientNonce ‖ serverNonce` with keyID `"<clientNonce> <serverNonce>"` (docs/protocol.md §2). Signing first
 * also proves the identity key is a point on the curve before the caller stores anything.
 * @throws RelayError('ERR_INVALID_HANDSHAKE') when the request is malformed.
 */
export async function answerInitialRequest(
  key: ServerKey,
  message: Record<string, unknown>,
): Promise<SessionOpening> {
  const identityKey = requireIdentityKey(message.identityKey)
  const clientNonce = message.initialNonce
  if (typeof clientNonce !== 'string' || !base64Bytes(clientNonce, 48)) {
    throw invalidHandshake('initialNonce must be base64 of 48 bytes.')
  }
  const serverNonce = await createServerNonce(key.nonceKey, identityKey)
  const data = concat(base64Bytes(clientNonce, 48)!, base64Bytes(serverNonce, 48)!)
  const signature = await signOrReject(key, data, `${clientNonce} ${serverNonce}`, identityKey)
  return {
    identityKey,
    clientNonce,
    serverNonce,
    response: {
      version: AUTH_VERSION,
      messageType: 'initialResponse',
      identityKey: key.identityKey,
      initialNonce: serverNonce,
      yourNonce: clientNonce,
      requestedCertificates: NO_CERTIFICATES,
      signature: Array.from(signature),
    },
  }
}

/** A compressed public key in canonical (lowercase) hex. @throws RelayError ERR_INVALID_HANDSHAKE */
export function requireIdentityKey(value: unknown): string {
  const key = typeof value === 'string' ? value.toLowerCase() : ''
  if (!isCompressedKeyHex(key)) {
    throw invalidHandshake('identityKey must be a 33-byte compressed public key in hex.')
  }
  return key
}

async function signOrReject(key: ServerKey, data: Uint8Array, keyID: string, counterparty: string) {
  try {
    return await key.signer.sign(data, keyID, counterparty)
  } catch {
    throw invalidHandshake('identityKey is not a valid secp256k1 public key.')
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}

export function invalidHandshake(description: string): RelayError {
  return new RelayError('ERR_INVALID_HANDSHAKE', description)
}
