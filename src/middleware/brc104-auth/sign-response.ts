import { randomBytes, toBase64, toHex } from '../../crypto/encoding'
import type { ServerKey } from '../../crypto/server-key'
import { AUTH_VERSION } from '../../brc103/wire'
import { responsePreimage, signedResponseHeaders } from './payload'
import type { VerifiedRequest } from './verify-request'

const EMPTY_JSON = new TextEncoder().encode('{}')

/**
 * Signs a response for the session that made the request (docs/protocol.md §4): fresh 32-byte nonce,
 * keyID `<nonce> <client nonce>`, counterparty the client. Never signs an empty body (SDK 2.1.0 and
 * conforming servers disagree on its encoding, §4.4) and drops any `x-bsv-auth*` header a handler set,
 * so nothing unsigned in the `x-bsv-` space reaches the client. A `Retry-After` is repeated, signed, as
 * `x-bsv-retry-after` (docs/contract.md "Signed answers carry what a client needs").
 */
export async function signResponse(
  response: Response,
  request: VerifiedRequest,
  key: ServerKey,
): Promise<Response> {
  const headers = new Headers(response.headers)
  let body: Uint8Array = new Uint8Array(await response.arrayBuffer())
  if (body.length === 0) {
    body = EMPTY_JSON
    headers.set('content-type', 'application/json')
  }
  for (const name of [...headers.keys()]) if (name.startsWith('x-bsv-auth')) headers.delete(name)
  // AuthFetch hands the caller only the x-bsv-* headers it verified, so a refusal's wait goes out signed
  // as x-bsv-retry-after too (a signed `retry-after` would break its check: it is not in its preimage).
  const retryAfter = headers.get('retry-after')
  if (retryAfter !== null) headers.set('x-bsv-retry-after', retryAfter)

  const nonce = toBase64(randomBytes(32))
  const preimage = responsePreimage({
    requestId: request.requestId,
    status: response.status,
    headers: signedResponseHeaders(headers),
    body,
  })
  const signature = await key.signer.sign(preimage, `${nonce} ${request.clientNonce}`, request.identityKey)

  headers.set('x-bsv-auth-version', AUTH_VERSION)
  headers.set('x-bsv-auth-identity-key', key.identityKey)
  headers.set('x-bsv-auth-nonce', nonce)
  headers.set('x-bsv-auth-your-nonce', request.clientNonce)
  headers.set('x-bsv-auth-signature', toHex(signature))
  headers.set('x-bsv-auth-request-id', request.requestIdBase64)
  headers.set('cache-control', 'no-store')
  return new Response(body, { status: response.status, headers })
}
