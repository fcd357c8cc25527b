import { CompletedProtoWallet, PrivateKey, Utils } from '@bsv/sdk'
import { requestPreimage, signedRequestHeaders } from '../../src/middleware/brc104-auth/payload'
import type { FetchLike } from './client'
import { RELAY_ORIGIN } from './relay'

const AUTH: [2, string] = [2, 'auth message signature']

/**
 * A hand-driven BRC-104 client for negative tests: it makes a real handshake, then signs whatever
 * request a test describes (with the client's own @bsv/sdk wallet) and lets the test break any part.
 */
export interface RawSession {
  identityKey: string
  wallet: CompletedProtoWallet
  clientNonce: string
  serverNonce: string
  serverIdentityKey: string
}

/** Random bytes as base64: by default 48, a client's handshake nonce. */
export function randomNonce(bytes = 48): string {
  return Utils.toBase64(Array.from(crypto.getRandomValues(new Uint8Array(bytes))))
}

/**
 * POSTs a BRC-104 `initialRequest` naming `identityKey` (unsigned, as every handshake is), with a fresh
 * nonce unless one is given, and any extra headers (e.g. `cf-connecting-ip`).
 */
export function postInitialRequest(
  target: FetchLike,
  identityKey: string,
  options: { clientNonce?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  return target(`${RELAY_ORIGIN}/.well-known/auth`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    body: JSON.stringify({
      version: '0.1',
      messageType: 'initialRequest',
      identityKey,
      initialNonce: options.clientNonce ?? randomNonce(),
      requestedCertificates: { certifiers: [], types: {} },
    }),
  })
}

export async function rawHandshake(
  target: FetchLike,
  privateKey = PrivateKey.fromRandom(),
): Promise<RawSession> {
  const wallet = new CompletedProtoWallet(privateKey)
  const identityKey = privateKey.toPublicKey().toString()
  const clientNonce = randomNonce()
  const res = await postInitialRequest(target, identityKey, { clientNonce })
  const reply = (await res.json()) as { initialNonce: string; identityKey: string }
  return {
    identityKey,
    wallet,
    clientNonce,
    serverNonce: reply.initialNonce,
    serverIdentityKey: reply.identityKey,
  }
}

export interface RawRequest {
  method?: string
  path?: string
  search?: string
  /** Headers to sign and send (content-type, x-bsv-*). */
  headers?: Record<string, string>
  body?: string
  /** Overrides applied to the auth headers after signing. */
  authOverrides?: Record<string, string>
  /** Sign with this server nonce instead of the session's. */
  serverNonce?: string
}

/** Signs a request in `session` exactly as AuthFetch would, then sends it (with any overrides). */
export async function rawRequest(
  target: FetchLike,
  session: RawSession,
  req: RawRequest = {},
): Promise<Response> {
  const method = req.method ?? 'POST'
  const path = req.path ?? '/echo'
  const search = req.search ?? ''
  const headers = req.headers ?? { 'content-type': 'application/json' }
  const body = req.body ?? '{}'
  const serverNonce = req.serverNonce ?? session.serverNonce
  const requestId = crypto.getRandomValues(new Uint8Array(32))
  const nonce = Utils.toBase64(Array.from(crypto.getRandomValues(new Uint8Array(32))))
  const preimage = requestPreimage({
    requestId,
    method,
    path,
    search,
    headers: signedRequestHeaders(new Headers(headers)),
    body: new TextEncoder().encode(body),
  })
  const { signature } = await session.wallet.createSignature({
    data: Array.from(preimage),
    protocolID: AUTH,
    keyID: `${nonce} ${serverNonce}`,
    counterparty: session.serverIdentityKey,
  })
  return target(`${RELAY_ORIGIN}${path}${search}`, {
    method,
    headers: {
      ...headers,
      'x-bsv-auth-version': '0.1',
      'x-bsv-auth-identity-key': session.identityKey,
      'x-bsv-auth-nonce': nonce,
      'x-bsv-auth-your-nonce': serverNonce,
      'x-bsv-auth-request-id': Utils.toBase64(Array.from(requestId)),
      'x-bsv-auth-signature': Utils.toHex(signature),
      ...req.authOverrides,
    },
    body: method === 'GET' || body === '' ? undefined : body,
  })
}
