import { secp256k1 } from '@noble/curves/secp256k1.js'
import { hexToBytes } from '@noble/curves/utils.js'
import { RelayError } from '../errors'
import { AuthSigner } from './auth-signer'

/** Everything derived from SERVER_PRIVATE_KEY, built once per isolate. */
export interface ServerKey {
  identityKey: string
  /** The private key itself, 64 lowercase hex characters: what paid delivery's BRC-29 outputs are derived for. */
  privateKeyHex: string
  signer: AuthSigner
  /** HMAC-SHA256 key for server session nonces (docs/protocol.md §5.3), derived from the private key. */
  nonceKey: CryptoKey
  /** HMAC-SHA256 key under which client networks are stored (src/http/client-network.ts). */
  networkKey: CryptoKey
}

// Built lazily inside a request (Workers forbid randomness and crypto at module scope) and kept
// for the isolate's life; keyed by the secret so a rotated key is picked up.
let cached: { secret: string; key: Promise<ServerKey> } | undefined

/**
 * The relay's key material for this isolate.
 * @throws RelayError('ERR_SERVER_MISCONFIGURED') when the secret is missing or not a valid key;
 * the relay never falls back to a random key.
 */
export function loadServerKey(secret: string | undefined): Promise<ServerKey> {
  const hex = secret?.trim() ?? ''
  if (cached?.secret !== hex) {
    if (!isPrivateKeyHex(hex)) {
      console.error(
        hex === ''
          ? 'relay misconfigured: SERVER_PRIVATE_KEY is not set (.dev.vars locally, `wrangler secret put` in production)'
          : 'relay misconfigured: SERVER_PRIVATE_KEY is not 64 hex characters of a valid secp256k1 private key',
      )
      throw new RelayError(
        'ERR_SERVER_MISCONFIGURED',
        'The relay is misconfigured: SERVER_PRIVATE_KEY is missing or invalid.',
      )
    }
    cached = { secret: hex, key: buildServerKey(hex) }
  }
  return cached.key
}

function isPrivateKeyHex(hex: string): boolean {
  return /^[0-9a-fA-F]{64}$/.test(hex) && secp256k1.utils.isValidSecretKey(hexToBytes(hex))
}

async function buildServerKey(hex: string): Promise<ServerKey> {
  const signer = new AuthSigner(hex.toLowerCase())
  // Separate keys for each MAC, so the private key itself never keys a symmetric primitive.
  const [nonceKey, networkKey] = await Promise.all([
    hmacKey(`brc33-relay server nonce key\n${hex.toLowerCase()}`),
    hmacKey(`brc33-relay client network key\n${hex.toLowerCase()}`),
  ])
  return { identityKey: signer.identityKey, privateKeyHex: hex.toLowerCase(), signer, nonceKey, networkKey }
}

/** An HMAC-SHA256 key whose bytes are the SHA-256 of `label`. */
async function hmacKey(label: string): Promise<CryptoKey> {
  const material = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(label))
  return crypto.subtle.importKey('raw', material, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
    'verify',
  ])
}
