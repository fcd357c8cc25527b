import type { AuthSigner } from '../../src/crypto/auth-signer'
import { randomBytes, toBase64, toHex } from '../../src/crypto/encoding'
import { requestPreimage, signedRequestHeaders } from '../../src/middleware/brc104-auth/payload'

export const ORIGIN = 'https://relay.bench'

/** A request as plain data (a Request's body belongs to the invocation that made it). */
export interface WireRequest {
  url: string
  headers: Array<[string, string]>
  body: Uint8Array
}

/**
 * A BRC-104 JSON POST exactly as AuthFetch puts it on the wire, signed by `client` in the session whose server
 * nonce is `serverNonce`; our signer computes what ProtoWallet would (test/crypto checks it).
 */
export async function signedPost(
  client: AuthSigner,
  session: { serverNonce: string; serverIdentity: string },
  path: string,
  body: Uint8Array,
): Promise<WireRequest> {
  const requestId = randomBytes(32)
  const nonce = toBase64(randomBytes(32))
  const headers = new Headers({ 'content-type': 'application/json' })
  const preimage = requestPreimage({
    requestId,
    method: 'POST',
    path,
    search: '',
    headers: signedRequestHeaders(headers),
    body,
  })
  const signature = await client.sign(preimage, `${nonce} ${session.serverNonce}`, session.serverIdentity)
  headers.set('x-bsv-auth-version', '0.1')
  headers.set('x-bsv-auth-identity-key', client.identityKey)
  headers.set('x-bsv-auth-nonce', nonce)
  headers.set('x-bsv-auth-your-nonce', session.serverNonce)
  headers.set('x-bsv-auth-signature', toHex(signature))
  headers.set('x-bsv-auth-request-id', toBase64(requestId))
  // As on the wire: AuthFetch's fetch frames a body with Content-Length.
  headers.set('content-length', String(body.length))
  return { url: ORIGIN + path, headers: [...headers], body }
}
