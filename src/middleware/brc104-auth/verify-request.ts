import type { ServerKey } from '../../crypto/server-key'
import { RelayError } from '../../errors'
import type { ClaimResult } from '../../objects/session-store'
import { hasAuthHeaders, parseAuthHeaders } from './auth-headers'
import { requestPreimage, signedRequestHeaders } from './payload'
import { isServerNonce } from '../../brc103/server-nonce'
import { claimNonce, sessionNotFound } from './session-errors'

/** What a verified request proves: who sent it, and what its response must be signed for. */
export interface VerifiedRequest {
  identityKey: string
  /** The client's handshake nonce of the session this request used: the response's `your-nonce`. */
  clientNonce: string
  requestIdBase64: string
  requestId: Uint8Array
  /** Set when the identity is over REQUEST_RATE_LIMIT: answer a signed 429 and run no handler. */
  rateLimited: { limit: number; retryAfterSeconds: number } | null
}

/** Claims a request nonce in the caller's session (the Mailbox Durable Object of `identityKey`). */
export type ClaimRequest = (
  identityKey: string,
  serverNonce: string,
  requestNonce: string,
) => Promise<ClaimResult>

const utf8 = new TextEncoder()
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * Authenticates a general BRC-104 request (docs/protocol.md §3, §6, §7), cheapest checks first:
 * header shapes, the MAC of `S` (bound to the claimed identity), the signature over the raw request,
 * then one atomic nonce claim in the session store, which also counts the identity's request rate. The identity is the session's: the signature is verified against the
 * claimed key, and the session is looked up in that key's own store, so a request signed in
 * session A that names identity B finds no valid signature and no session.
 * @throws RelayError with the §9.3 code; nothing downstream runs.
 */
export async function verifyRequest(
  request: Request,
  body: Uint8Array,
  key: ServerKey,
  claim: ClaimRequest,
): Promise<VerifiedRequest> {
  if (!hasAuthHeaders(request.headers)) {
    throw new RelayError('UNAUTHORIZED', 'Mutual-authentication failed!')
  }
  const auth = parseAuthHeaders(request.headers)
  // S carries a MAC over the identity it was issued for: another identity's S is refused here.
  if (!(await isServerNonce(key.nonceKey, auth.serverNonce, auth.identityKey))) {
    throw sessionNotFound(auth.serverNonce)
  }

  const url = new URL(request.url)
  const signed = {
    requestId: auth.requestId,
    method: request.method,
    path: url.pathname,
    search: url.search,
    headers: signedRequestHeaders(request.headers),
    body,
  }
  const keyID = `${auth.nonce} ${auth.serverNonce}`
  let valid = await key.signer.verify(requestPreimage(signed), auth.signature, keyID, auth.identityKey)
  if (!valid && sentEmptyJsonBody(request, body)) {
    // Go clients sign `{}` but strip it from the wire (docs/protocol.md §3.4).
    valid = await key.signer.verify(
      requestPreimage({ ...signed, body: utf8.encode('{}') }),
      auth.signature,
      keyID,
      auth.identityKey,
    )
  }
  if (!valid) throw new RelayError('ERR_AUTH_FAILED', 'Signature is not valid')

  const { clientNonce, rateLimited } = await claimNonce(auth.serverNonce, () =>
    claim(auth.identityKey, auth.serverNonce, auth.nonce),
  )
  return {
    identityKey: auth.identityKey,
    clientNonce,
    requestIdBase64: auth.requestIdBase64,
    requestId: auth.requestId,
    rateLimited,
  }
}

function sentEmptyJsonBody(request: Request, body: Uint8Array): boolean {
  return (
    body.length === 0 &&
    BODY_METHODS.has(request.method) &&
    (request.headers.get('content-type') ?? '').includes('application/json')
  )
}
