import { createMiddleware } from 'hono/factory'
import type { Env } from '../../env'
import { renderError } from '../../http/error-response'
import { mailbox } from '../../objects/stubs'
import type {
  AuthVariables,
  RawBodyVariables,
  RequestLogVariables,
  ServerKeyVariables,
} from '../../http/context'
import { rateLimited } from '../../errors'
import { signResponse } from './sign-response'
import { verifyRequest } from './verify-request'

export { handshake } from './handshake'

type Brc104Env = {
  Bindings: Pick<Env, 'MAILBOX'>
  Variables: AuthVariables & RawBodyVariables & ServerKeyVariables & RequestLogVariables
}

/**
 * BRC-104 for general requests: verifies the request and claims its nonce before `next()`, then
 * signs whatever the route answered (errors included) for the session that asked. Failures before
 * `next()` are thrown as RelayErrors and rendered unsigned by `app.onError`; no route runs. An
 * identity over REQUEST_RATE_LIMIT gets a signed 429 with `Retry-After`, and no route runs either.
 * Needs `rawBody` and `serverKey` to have run first.
 */
export function brc104Auth() {
  return createMiddleware<Brc104Env>(async function brc104Auth(c, next) {
    const key = c.var.serverKey
    const verified = await verifyRequest(c.req.raw, c.var.rawBody, key, (identityKey, serverNonce, nonce) =>
      mailbox(c.env, identityKey).claimRequest(identityKey, serverNonce, nonce),
    )
    c.set('identityKey', verified.identityKey)
    if (verified.rateLimited) {
      // Authenticated, so signed (AuthFetch hands the app the real 429), and no route runs.
      const { limit, retryAfterSeconds } = verified.rateLimited
      c.res = renderError(c, rateLimited(limit, retryAfterSeconds, 'requests for this identity'))
    } else {
      await next()
    }
    const signed = await signResponse(c.res, verified, key)
    // Hono's `c.res` setter copies the old response's headers over the new one; clear it first so
    // exactly the signed headers go out.
    c.res = undefined
    c.res = signed
  })
}
