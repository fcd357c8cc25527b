import { SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { newClient } from '../helpers/client'
import { expectResponse } from '../helpers/messages'
import { RELAY_ORIGIN } from '../helpers/relay'

// Methods (docs/contract.md "Common rules"): a method a route does not serve is 405 with `Allow`, never a 500
// or a 401, answered before authentication; the error envelope like any other. (CONNECT cannot be sent
// from inside workerd, nor does it reach a Worker: test/e2e/methods.test.ts sends it over a raw socket.)

async function call(method: string, path: string) {
  const res = await SELF.fetch(`${RELAY_ORIGIN}${path}`, { method })
  return { res, text: await res.text() }
}

describe('a method a route does not serve: 405 with Allow', () => {
  it.each([
    ['PUT', '/socket.io/', 'GET, HEAD, POST, OPTIONS'],
    ['DELETE', '/socket.io/', 'GET, HEAD, POST, OPTIONS'],
    ['PUT', '/sendMessage', 'POST, OPTIONS'],
    ['DELETE', '/acknowledgeMessage', 'POST, OPTIONS'],
    ['GET', '/sendMessage', 'POST, OPTIONS'],
    ['POST', '/permissions/get', 'GET, HEAD, OPTIONS'],
    ['PATCH', '/health', 'GET, HEAD, OPTIONS'],
    ['DELETE', '/.well-known/auth', 'POST, OPTIONS'],
    ['TRACE', '/', 'GET, HEAD, OPTIONS'],
  ])('%s %s → 405, Allow: %s', async (method, path, allow) => {
    const { res, text } = await call(method, path)
    expect(res.status, text).toBe(405)
    expect(res.headers.get('allow')).toBe(allow)
    expect(JSON.parse(text)).toEqual({
      status: 'error',
      code: 'ERR_METHOD_NOT_ALLOWED',
      description: `${path} does not serve ${method}.`,
      requestId: res.headers.get('x-request-id'),
    })
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
  })

  it('served methods are untouched: HEAD of a GET route, OPTIONS preflights, and an authenticated POST', async () => {
    expect((await call('HEAD', '/health')).res.status).toBe(200)
    expect((await call('OPTIONS', '/sendMessage')).res.status).toBe(204)
    await expectResponse(await newClient().post('/listMessageBoxes', {}), 200)
  })

  it('a path no route serves is refused as before (authentication first), whatever the method', async () => {
    const { res } = await call('PUT', '/nowhere')
    expect(res.status).toBe(401)
  })
})
