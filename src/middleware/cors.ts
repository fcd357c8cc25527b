import { createMiddleware } from 'hono/factory'

const ALLOW_HEADERS = [
  'content-type',
  'authorization',
  'x-bsv-auth-version',
  'x-bsv-auth-identity-key',
  'x-bsv-auth-nonce',
  'x-bsv-auth-your-nonce',
  'x-bsv-auth-signature',
  'x-bsv-auth-request-id',
  'x-bsv-auth-message-type',
  'x-bsv-auth-requested-certificates',
  'x-bsv-payment',
  // `*` covers any other x-bsv-* header an app signs; it does not cover Authorization, listed above.
  '*',
].join(', ')

/**
 * CORS as the contract fixes it: preflights answered before authentication, and every response
 * exposing its headers, since a browser client must read the `x-bsv-auth-*` headers to verify.
 * These headers are not `x-bsv-*`, so adding them after signing is safe.
 */
export const cors = createMiddleware(async function cors(c, next) {
  if (c.req.method === 'OPTIONS') {
    return new Response(null, {
      status: 204,
      headers: {
        'access-control-allow-origin': '*',
        'access-control-allow-headers': ALLOW_HEADERS,
        'access-control-allow-methods': 'GET, POST, OPTIONS',
        'access-control-allow-private-network': 'true',
        'access-control-expose-headers': '*',
        'access-control-max-age': '86400',
      },
    })
  }
  await next()
  c.res.headers.set('access-control-allow-origin', '*')
  c.res.headers.set('access-control-expose-headers', '*')
})
