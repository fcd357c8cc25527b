import { PrivateKey, Utils } from '@bsv/sdk'
import { describe, expect, it } from 'vitest'
import { mailbox } from '../../src/objects/stubs'
import { env } from 'cloudflare:test'
import { clientKey } from '../../src/http/client-network'
import { type FetchLike, newClient } from '../helpers/client'
import { inMailbox, sessionsOf } from '../helpers/mailbox'
import { probeApp } from '../helpers/probe-app'
import { postInitialRequest } from '../helpers/raw-client'
import { exactRateLimiter, randomIp, startOfAMinute } from '../helpers/rate-limits'

// HANDSHAKE_RATE_LIMIT through the real Workers Rate Limiting binding (wrangler.toml's [[ratelimits]],
// 60 per 60 s, as miniflare runs it: the first test, which waits for the start of a minute), then through an
// exact stand-in of the binding (no waiting); REQUEST_RATE_LIMIT through the real Mailbox. The real AuthFetch
// drives them where a client is involved.

const HANDSHAKE_LIMIT = 60 // wrangler.toml: HANDSHAKE_RATE_LIMIT and [[ratelimits]] simple.limit
const REQUEST_LIMIT = 1200 // wrangler.toml: REQUEST_RATE_LIMIT

const b64 = (n: number) => Utils.toBase64(Array.from(crypto.getRandomValues(new Uint8Array(n))))

function handshake(
  fetch: FetchLike,
  ip: string | null,
  identityKey = PrivateKey.fromRandom().toPublicKey().toString(),
) {
  return postInitialRequest(fetch, identityKey, { headers: ip ? { 'cf-connecting-ip': ip } : {} })
}

/** Uses up an address's handshakes for this minute; returns the statuses. */
async function exhaust(fetch: FetchLike, ip: string): Promise<number[]> {
  const statuses: number[] = []
  for (let i = 0; i < HANDSHAKE_LIMIT; i++) statuses.push((await handshake(fetch, ip)).status)
  return statuses
}

describe('handshakes per client IP (HANDSHAKE_RATE_LIMIT)', () => {
  it(
    'accepts the limit from one address, then answers 429 ERR_RATE_LIMITED with Retry-After and stores nothing',
    { timeout: 90_000 },
    async () => {
      const { fetch } = probeApp()
      const ip = randomIp()
      await startOfAMinute()
      expect(await exhaust(fetch, ip)).toEqual(Array(HANDSHAKE_LIMIT).fill(200))
      const identityKey = PrivateKey.fromRandom().toPublicKey().toString()
      const refused = await handshake(fetch, ip, identityKey)
      const text = await refused.text()
      expect(refused.status, text).toBe(429)
      expect(refused.headers.get('retry-after')).toBe('60')
      expect(JSON.parse(text)).toMatchObject({
        status: 'error',
        code: 'ERR_RATE_LIMITED',
        limit: HANDSHAKE_LIMIT,
        retryAfter: 60,
        // Like every error: the id a user's report can be found by.
        requestId: refused.headers.get('x-request-id'),
      })
      expect(refused.headers.get('x-request-id')).toMatch(/^[0-9a-f]{16}$/)
      expect(await inMailbox(identityKey, (box) => sessionsOf(box).list())).toEqual([])
      // Another address, and the same address with the limit off, are not affected.
      expect((await handshake(fetch, randomIp())).status).toBe(200)
      expect((await handshake(probeApp({ HANDSHAKE_RATE_LIMIT: '0' }).fetch, ip)).status).toBe(200)
    },
  )

  it(
    'makes AuthFetch reject at once (no hang) when its handshake is refused',
    { timeout: 90_000 },
    async () => {
      const { fetch, runs } = probeApp({ HANDSHAKE_RATE_LIMITER: exactRateLimiter(HANDSHAKE_LIMIT) })
      const ip = randomIp()
      await exhaust(fetch, ip)
      const fromIp: FetchLike = (input, init) =>
        fetch(input, {
          ...init,
          headers: { ...Object.fromEntries(new Headers(init.headers)), 'cf-connecting-ip': ip },
        })
      await expect(newClient({ fetch: fromIp }).post('/echo', {})).rejects.toThrow(/429/)
      expect(runs).toHaveLength(0)
    },
  )

  it('counts IPv6 addresses by their /64 and IPv4-mapped addresses as IPv4', () => {
    expect(clientKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64')
    expect(clientKey('2001:0db8:0001:0002::9')).toBe('2001:db8:1:2::/64')
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64')
    expect(clientKey('::ffff:203.0.113.7')).toBe('203.0.113.7')
    expect(clientKey('203.0.113.7')).toBe('203.0.113.7')
  })

  it('shares one budget across a /64', async () => {
    const { fetch } = probeApp({ HANDSHAKE_RATE_LIMITER: exactRateLimiter(HANDSHAKE_LIMIT) })
    const prefix = `2001:db8:${crypto.getRandomValues(new Uint16Array(1))[0]!.toString(16)}:1`
    await exhaust(fetch, `${prefix}::1`)
    expect((await handshake(fetch, `${prefix}:ffff:ffff:ffff:ffff`)).status).toBe(429)
  })
})

describe('authenticated requests per identity (REQUEST_RATE_LIMIT)', () => {
  it(
    'answers a signed 429 ERR_RATE_LIMITED that AuthFetch delivers as-is, and runs no handler',
    { timeout: 60_000 },
    async () => {
      const { fetch, runs } = probeApp()
      const wire: Response[] = []
      const watching: FetchLike = async (input, init) => {
        const res = await fetch(input, init)
        wire.push(res.clone())
        return res
      }
      const alice = newClient({ fetch: watching })
      expect((await alice.post('/echo', { n: 0 })).status).toBe(200)
      // Use up the rest of this minute's budget in alice's own Mailbox (the same object and window).
      const session = (await inMailbox(alice.identityKey, (box) => sessionsOf(box).list()))[0]!
      const stub = mailbox(env, alice.identityKey)
      for (let i = 1; i < REQUEST_LIMIT; i++) {
        const claimed = await stub.claimRequest(alice.identityKey, session.serverNonce, b64(32))
        if (!claimed.ok) throw new Error(`claim ${i} refused: ${JSON.stringify(claimed)}`)
      }
      const res = await alice.post('/echo', { n: 1 })
      expect(res.status).toBe(429)
      expect(await res.json()).toMatchObject({
        status: 'error',
        code: 'ERR_RATE_LIMITED',
        limit: REQUEST_LIMIT,
      })
      const onWire = wire.at(-1)!
      expect(onWire.headers.get('x-bsv-auth-signature')).toMatch(/^[0-9a-f]+$/)
      expect(Number(onWire.headers.get('retry-after'))).toBeGreaterThan(0)
      // AuthFetch shows the caller only the x-bsv-* headers it verified: the wait comes signed as one.
      expect(res.headers.get('x-bsv-retry-after')).toBe(onWire.headers.get('retry-after'))
      expect(res.headers.get('retry-after')).toBeNull()
      expect(((await onWire.clone().json()) as { requestId: string }).requestId).toMatch(/^[0-9a-f]{16}$/)
      expect(runs).toHaveLength(1)
    },
  )
})
