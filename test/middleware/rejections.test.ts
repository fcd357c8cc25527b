import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { loadServerKey } from '../../src/crypto/server-key'
import { createServerNonce } from '../../src/brc103/server-nonce'
import { lastGeneralRequest, newClient, resend } from '../helpers/client'
import { inMailbox, sessionsOf } from '../helpers/mailbox'
import { probeApp } from '../helpers/probe-app'
import { rawHandshake, rawRequest } from '../helpers/raw-client'
import { withTimeout } from '../helpers/relay'

// Every way a request can fail authentication (docs/protocol.md §13.2 items 2–7, §9.3): the exact status and
// code, unsigned, and — proved by the probe routes' run log — no handler ran.

async function expectRejected(res: Response, status: number, code: string) {
  const text = await res.text()
  expect(res.status, text).toBe(status)
  expect(JSON.parse(text)).toMatchObject({ status: 'error', code })
  expect(res.headers.get('x-bsv-auth-signature'), 'auth failures are unsigned').toBeNull()
}

/** A client with one successful request already made, and that request as captured on the wire. */
async function warmedUp() {
  const probe = probeApp()
  const client = newClient({ fetch: probe.fetch })
  const res = await client.fetch('/echo?x=1', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-bsv-custom': 'v' },
    body: '{"a":1}',
  })
  expect(res.status).toBe(200)
  expect(probe.runs).toHaveLength(1)
  return { ...probe, client, captured: lastGeneralRequest(client) }
}

describe('replay', () => {
  it('refuses a byte-identical replay with 401 ERR_REPLAYED_REQUEST and does not run the handler', async () => {
    const { fetch, runs, captured } = await warmedUp()
    await expectRejected(await resend(captured, {}, fetch), 401, 'ERR_REPLAYED_REQUEST')
    expect(runs).toHaveLength(1)
  })

  it('refuses the replay even while the original session keeps working', async () => {
    const { fetch, runs, client, captured } = await warmedUp()
    expect((await client.post('/echo', { b: 2 })).status).toBe(200)
    await expectRejected(await resend(captured, {}, fetch), 401, 'ERR_REPLAYED_REQUEST')
    expect(runs).toHaveLength(2)
  })
})

describe('tampering', () => {
  const cases: Array<[string, (r: ReturnType<typeof lastGeneralRequest>) => Partial<typeof r>]> = [
    ['body', () => ({ body: '{"a":2}' })],
    ['query', (r) => ({ url: r.url.replace('x=1', 'x=2') })],
    ['path', (r) => ({ url: r.url.replace('/echo', '/Echo') })],
    ['method', () => ({ method: 'PUT' })],
    ['content-type', (r) => ({ headers: { ...r.headers, 'content-type': 'text/plain' } })],
    ['x-bsv-* header', (r) => ({ headers: { ...r.headers, 'x-bsv-custom': 'w' } })],
    ['added x-bsv-* header', (r) => ({ headers: { ...r.headers, 'x-bsv-extra': '1' } })],
    ['request id', (r) => ({ headers: { ...r.headers, 'x-bsv-auth-request-id': btoa('3'.repeat(32)) } })],
  ]
  for (const [what, change] of cases) {
    it(`refuses a request whose ${what} was changed after signing (401 ERR_AUTH_FAILED, no handler)`, async () => {
      const { fetch, runs, captured } = await warmedUp()
      await expectRejected(await resend(captured, change(captured), fetch), 401, 'ERR_AUTH_FAILED')
      expect(runs).toHaveLength(1)
    })
  }

  it('ignores unsigned headers a proxy adds, and a charset a proxy appends to content-type', async () => {
    const { fetch, runs } = probeApp()
    const session = await rawHandshake(fetch)
    const res = await rawRequest(fetch, session, {
      authOverrides: {
        'content-type': 'application/json; charset=utf-8',
        'user-agent': 'proxy/1.0',
        accept: '*/*',
      },
    })
    expect(res.status, await res.clone().text()).toBe(200)
    expect(runs).toHaveLength(1)
  })

  it('refuses a lowercase method the client signed but fetch upper-cased (Q1)', async () => {
    const { fetch, runs } = probeApp()
    const client = newClient({ fetch })
    await expect(
      client.fetch('/echo', { method: 'post', headers: { 'content-type': 'application/json' }, body: '{}' }),
    ).rejects.toThrow()
    expect(runs).toHaveLength(0)
  })
})

describe('identity binding', () => {
  it('refuses a request signed in session A that claims identity B, even when B has a session', async () => {
    const { fetch, runs, captured } = await warmedUp()
    const bob = newClient({ fetch })
    await bob.post('/echo', {})
    const res = await resend(
      captured,
      { headers: { ...captured.headers, 'x-bsv-auth-identity-key': bob.identityKey } },
      fetch,
    )
    // A's server nonce is bound to A by its MAC, so for B it is no session at all (before any EC work).
    await expectRejected(res, 401, 'ERR_SESSION_NOT_FOUND')
    expect(runs.map((r) => r.identityKey)).toEqual([runs[0]!.identityKey, bob.identityKey])
  })

  it("finds no session when A signs with B's session nonce under its own identity", async () => {
    const { fetch, runs } = probeApp()
    const [alice, bob] = [await rawHandshake(fetch), await rawHandshake(fetch)]
    await expectRejected(
      await rawRequest(fetch, alice, { serverNonce: bob.serverNonce }),
      401,
      'ERR_SESSION_NOT_FOUND',
    )
    const claimingBob = await rawRequest(fetch, alice, {
      serverNonce: bob.serverNonce,
      authOverrides: { 'x-bsv-auth-identity-key': bob.identityKey },
    })
    await expectRejected(claimingBob, 401, 'ERR_AUTH_FAILED')
    expect(runs).toHaveLength(0)
  })
})

describe('malformed or unknown auth', () => {
  it('answers 401 UNAUTHORIZED, as the reference does, when the auth headers are missing', async () => {
    const { fetch, runs } = probeApp()
    const res = await fetch('https://relay.test/echo', { method: 'POST', body: '{}' })
    expect(res.status).toBe(401)
    expect(await res.json()).toEqual({
      status: 'error',
      code: 'UNAUTHORIZED',
      message: 'Mutual-authentication failed!',
      description: 'Mutual-authentication failed!',
      requestId: res.headers.get('x-request-id'),
    })
    expect(runs).toHaveLength(0)
  })

  it('refuses auth version 1.0 with 401', async () => {
    const { fetch, runs } = probeApp()
    const session = await rawHandshake(fetch)
    await expectRejected(
      await rawRequest(fetch, session, { authOverrides: { 'x-bsv-auth-version': '1.0' } }),
      401,
      'ERR_UNSUPPORTED_AUTH_VERSION',
    )
    expect(runs).toHaveLength(0)
  })

  const malformed: Array<[string, Record<string, string>]> = [
    ['a 31-byte request id', { 'x-bsv-auth-request-id': btoa('x'.repeat(31)) }],
    [
      'a non-canonical request id',
      { 'x-bsv-auth-request-id': 'MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzN=' },
    ],
    ['a non-hex signature', { 'x-bsv-auth-signature': 'zz'.repeat(70) }],
    ['an over-long signature', { 'x-bsv-auth-signature': 'ab'.repeat(73) }],
    ['a 31-byte nonce', { 'x-bsv-auth-nonce': btoa('n'.repeat(31)) }],
    ['a short server nonce', { 'x-bsv-auth-your-nonce': btoa('s'.repeat(47)) }],
    ['an uncompressed identity key', { 'x-bsv-auth-identity-key': '04' + 'ab'.repeat(64) }],
    ['a missing signature', { 'x-bsv-auth-signature': '' }],
  ]
  for (const [what, overrides] of malformed) {
    it(`answers 400 ERR_MALFORMED_AUTH_HEADERS for ${what}, before any EC work`, async () => {
      const { fetch, runs } = probeApp()
      const session = await rawHandshake(fetch)
      await expectRejected(
        await rawRequest(fetch, session, { authOverrides: overrides }),
        400,
        'ERR_MALFORMED_AUTH_HEADERS',
      )
      expect(runs).toHaveLength(0)
    })
  }

  it('answers "Session not found for nonce" for a server nonce that fails our MAC', async () => {
    const { fetch, runs } = probeApp()
    const session = await rawHandshake(fetch)
    const foreign = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(48))))
    const res = await rawRequest(fetch, session, { serverNonce: foreign })
    expect(res.status).toBe(401)
    expect(await res.text()).toMatch(
      /^\{"status":"error","code":"ERR_SESSION_NOT_FOUND","description":"Session not found for nonce: /,
    )
    expect(runs).toHaveLength(0)
  })

  it('answers "Session not found for nonce" for a well-formed server nonce that was never issued', async () => {
    const { fetch, runs } = probeApp()
    const session = await rawHandshake(fetch)
    const key = await loadServerKey(env.SERVER_PRIVATE_KEY)
    const unknown = await createServerNonce(key.nonceKey, session.identityKey)
    const res = await rawRequest(fetch, session, { serverNonce: unknown })
    await expectRejected(res.clone(), 401, 'ERR_SESSION_NOT_FOUND')
    expect(await res.json()).toMatchObject({ description: `Session not found for nonce: ${unknown}` })
    expect(runs).toHaveLength(0)
  })

  it('answers 413 ERR_REQUEST_TOO_LARGE for a body over the limit, before authentication', async () => {
    const { fetch, runs } = probeApp({ MAX_REQUEST_BODY_BYTES: '1024' })
    const session = await rawHandshake(fetch)
    await expectRejected(
      await rawRequest(fetch, session, { body: JSON.stringify({ pad: 'x'.repeat(2000) }) }),
      413,
      'ERR_REQUEST_TOO_LARGE',
    )
    expect(runs).toHaveLength(0)
  })
})

describe('server key', () => {
  const misconfigured: Array<[string, string | undefined]> = [
    ['missing', undefined],
    ['not hex', 'zz'.repeat(32)],
    ['zero', '00'.repeat(32)],
    ['above the curve order', 'ff'.repeat(32)],
  ]
  for (const [what, key] of misconfigured) {
    it(`answers every request with 500 ERR_SERVER_MISCONFIGURED when SERVER_PRIVATE_KEY is ${what}`, async () => {
      const { fetch } = probeApp({ SERVER_PRIVATE_KEY: key })
      for (const [path, method] of [
        ['/health', 'GET'],
        ['/.well-known/auth', 'POST'],
        ['/echo', 'POST'],
      ] as const) {
        const res = await fetch(`https://relay.test${path}`, {
          method,
          body: method === 'POST' ? '{}' : undefined,
        })
        expect(res.status).toBe(500)
        expect(await res.json()).toMatchObject({ status: 'error', code: 'ERR_SERVER_MISCONFIGURED' })
      }
    })
  }

  it('never lets a client authenticate against a misconfigured relay', async () => {
    const { fetch } = probeApp({ SERVER_PRIVATE_KEY: undefined })
    await expect(withTimeout(newClient({ fetch }).post('/echo', {}), 5000)).rejects.toThrow(/500/)
  })
})

describe('session storage', () => {
  it('stores nothing for a request that failed authentication', async () => {
    const { fetch } = probeApp()
    const session = await rawHandshake(fetch)
    await rawRequest(fetch, session, { authOverrides: { 'x-bsv-auth-signature': '30' + '06'.repeat(40) } })
    const sessions = await inMailbox(session.identityKey, (box) => sessionsOf(box).list())
    expect(sessions.map((s) => s.requestCount)).toEqual([0])
  })
})

describe('request body limit', () => {
  it('refuses a declared Content-Length over the limit without reading the body', async () => {
    const { fetch, runs } = probeApp({ MAX_REQUEST_BODY_BYTES: '1024' })
    const res = await fetch('https://relay.test/echo', {
      method: 'POST',
      headers: { 'content-length': '5000', 'content-type': 'application/json' },
      body: 'x'.repeat(5000),
    })
    await expectRejected(res, 413, 'ERR_REQUEST_TOO_LARGE')
    expect(runs).toHaveLength(0)
  })

  it('accepts a body of exactly the limit, with or without Content-Length', async () => {
    const { fetch, runs } = probeApp({ MAX_REQUEST_BODY_BYTES: '1024' })
    const body = JSON.stringify({ pad: 'x'.repeat(1024 - 10) })
    expect(body).toHaveLength(1024)
    const session = await rawHandshake(fetch)
    const framed = await rawRequest(fetch, session, { body, authOverrides: { 'content-length': '1024' } })
    expect(framed.status, await framed.clone().text()).toBe(200)
    const chunked = await rawRequest(fetch, session, { body })
    expect(chunked.status, await chunked.clone().text()).toBe(200)
    expect(runs.map((r) => r.body.length)).toEqual([1024, 1024])
  })
})
