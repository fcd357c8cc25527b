import { describe, expect, it } from 'vitest'
import { type FetchLike, newClient } from '../helpers/client'
import { dropSessions, inMailbox, sessionsOf as storeOf } from '../helpers/mailbox'
import { probeApp } from '../helpers/probe-app'

// The real AuthFetch from @bsv/sdk 2.1.0 against the relay's middleware chain, every call under a
// timeout (a response the client cannot verify makes it hang, which fails the test).

const sessionsOf = (identityKey: string) => inMailbox(identityKey, (box) => storeOf(box).list())

describe('BRC-104 with the real AuthFetch', () => {
  it('handshakes, then POSTs JSON; the route sees the verified identity and the exact body', async () => {
    const { fetch, runs } = probeApp()
    const alice = newClient({ fetch })
    const res = await alice.post('/echo', { message: { body: 'hi ✓' } })
    expect(res.status, await res.clone().text()).toBe(200)
    expect(await res.json()).toMatchObject({
      identityKey: alice.identityKey,
      body: '{"message":{"body":"hi ✓"}}',
    })
    expect(runs).toHaveLength(1)
    expect(alice.sent.map((r) => new URL(r.url).pathname)).toEqual(['/.well-known/auth', '/echo'])
  })

  it('GETs with a query, including percent-encoded values, signed and verified as sent', async () => {
    const { fetch } = probeApp()
    const alice = newClient({ fetch })
    const search = '?messageBox=a%20b%2Fc&tick=%E2%9C%93&empty='
    const res = await alice.fetch(`/echo${search}`)
    expect(await res.json()).toMatchObject({ method: 'GET', path: '/echo', search, body: '' })
  })

  it('accepts a content-type with "; charset=utf-8"', async () => {
    const { fetch } = probeApp()
    const alice = newClient({ fetch })
    const res = await alice.fetch('/echo', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json; charset=utf-8' },
      body: '{"a":1}',
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ body: '{"a":1}', contentType: 'application/json' })
  })

  it('signs x-bsv-* request headers the client adds', async () => {
    const { fetch } = probeApp()
    const alice = newClient({ fetch })
    const res = await alice.fetch('/echo', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-bsv-custom': 'hello' },
      body: '{}',
    })
    expect(await res.json()).toMatchObject({ custom: 'hello' })
  })

  it('delivers a signed 4xx, with its signed x-bsv-* header, to the client as-is', async () => {
    const { fetch } = probeApp()
    const res = await newClient({ fetch }).post('/teapot', {})
    expect(res.status).toBe(418)
    expect(res.headers.get('x-bsv-brew')).toBe('earl grey')
    expect(await res.json()).toEqual({ status: 'error', code: 'ERR_TEAPOT', description: 'short and stout' })
  })

  it('signs errors a route throws, and 404s for unknown paths', async () => {
    const { fetch } = probeApp()
    const alice = newClient({ fetch })
    const thrown = await alice.post('/throws', {})
    expect(thrown.status).toBe(400)
    expect(await thrown.json()).toEqual({
      status: 'error',
      code: 'ERR_INVALID_MESSAGEBOX',
      description: 'thrown by a route',
      requestId: expect.stringMatching(/^[0-9a-f]{16}$/),
    })
    const missing = await alice.post('/nowhere', {})
    expect(missing.status).toBe(404)
    expect(await missing.json()).toMatchObject({ code: 'ERR_NOT_FOUND' })
  })

  it('never signs an empty body: a route answering nothing reaches the client as {}', async () => {
    const { fetch } = probeApp()
    const res = await newClient({ fetch }).post('/empty', {})
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('{}')
  })

  it('carries many requests, sequential and concurrent, on one session', async () => {
    const { fetch, runs } = probeApp()
    const alice = newClient({ fetch })
    for (let i = 0; i < 5; i++) expect((await alice.post('/echo', { i })).status).toBe(200)
    const concurrent = await Promise.all([5, 6, 7, 8, 9].map((i) => alice.post('/echo', { i })))
    expect(concurrent.map((r) => r.status)).toEqual([200, 200, 200, 200, 200])
    expect(runs).toHaveLength(10)
    const sessions = await sessionsOf(alice.identityKey)
    expect(sessions).toHaveLength(1)
    expect(sessions[0]!.requestCount).toBe(10)
  })

  it('keeps two sessions for two clients with the same key, each answered for its own session', async () => {
    const { fetch } = probeApp()
    const phone = newClient({ fetch })
    const laptop = newClient({ fetch, privateKey: phone.privateKey })
    await phone.post('/echo', { from: 'phone' })
    await laptop.post('/echo', { from: 'laptop' })
    // Interleaved: a response signed for the wrong session would hang the client.
    const [a, b] = await Promise.all([phone.post('/echo', { n: 1 }), laptop.post('/echo', { n: 2 })])
    expect(await a.json()).toMatchObject({ identityKey: phone.identityKey, body: '{"n":1}' })
    expect(await b.json()).toMatchObject({ identityKey: phone.identityKey, body: '{"n":2}' })
    expect(await sessionsOf(phone.identityKey)).toHaveLength(2)
  })

  it('lets a browser read the signature headers (CORS on signed responses and preflights)', async () => {
    const { fetch } = probeApp()
    const seen: Headers[] = []
    const watching: FetchLike = async (input, init) => {
      const res = await fetch(input, init)
      seen.push(res.headers)
      return res
    }
    expect((await newClient({ fetch: watching }).post('/echo', {})).status).toBe(200)
    const signed = seen.at(-1)!
    expect(signed.get('x-bsv-auth-signature')).toMatch(/^[0-9a-f]+$/)
    expect(signed.get('access-control-allow-origin')).toBe('*')
    expect(signed.get('access-control-expose-headers')).toBe('*')
    expect(signed.get('cache-control')).toBe('no-store')

    const preflight = await fetch('https://relay.test/echo', { method: 'OPTIONS' })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-headers')).toContain('x-bsv-auth-signature')
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization')
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET, POST, OPTIONS')
    expect(preflight.headers.get('access-control-allow-private-network')).toBe('true')
  })
})

describe('stale sessions heal transparently', () => {
  it('re-handshakes a warm client whose session was deleted', async () => {
    const { fetch, runs } = probeApp()
    const alice = newClient({ fetch })
    await alice.post('/echo', { n: 1 })
    await dropSessions(alice.identityKey)
    const res = await alice.post('/echo', { n: 2 })
    expect(await res.json()).toMatchObject({ body: '{"n":2}' })
    expect(runs.map((r) => r.body)).toEqual(['{"n":1}', '{"n":2}'])
    expect(alice.sent.filter((r) => r.url.endsWith('/.well-known/auth'))).toHaveLength(2)
  })

  it('re-handshakes a fresh client on "Session not found for nonce" (its first request after the handshake)', async () => {
    const { fetch, runs } = probeApp()
    const firstAnswers: Response[] = []
    let dropped = false
    // Drop the session between the client's first handshake and its first general request.
    const dropOnce: FetchLike = async (input, init) => {
      if (!dropped && !input.endsWith('/.well-known/auth')) {
        dropped = true
        await dropSessions(new Headers(init.headers).get('x-bsv-auth-identity-key')!)
        const res = await fetch(input, init)
        firstAnswers.push(res.clone())
        return res
      }
      return fetch(input, init)
    }
    const alice = newClient({ fetch: dropOnce })
    const res = await alice.post('/echo', { n: 1 })
    expect(res.status).toBe(200)
    expect(firstAnswers[0]!.status).toBe(401)
    expect(firstAnswers[0]!.headers.get('x-bsv-auth-signature')).toBeNull()
    expect(await firstAnswers[0]!.json()).toMatchObject({ code: 'ERR_SESSION_NOT_FOUND' })
    expect(runs).toHaveLength(1)
  })

  it('re-handshakes when the session expired while idle', async () => {
    const { fetch } = probeApp()
    const alice = newClient({ fetch })
    await alice.post('/echo', { n: 1 })
    await inMailbox(alice.identityKey, (_box, state) => {
      state.storage.sql.exec('UPDATE auth_sessions SET last_used_at = last_used_at - 3600 * 1000')
    })
    const res = await alice.post('/echo', { n: 2 })
    expect(await res.json()).toMatchObject({ body: '{"n":2}' })
    expect(alice.sent.filter((r) => r.url.endsWith('/.well-known/auth'))).toHaveLength(2)
  })
})
