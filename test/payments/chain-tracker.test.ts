import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import type { Env } from '../../src/env'
import { readConfig } from '../../src/config'
import { chainTrackerFor, HttpChainTracker, TrackerUnavailable } from '../../src/payments/chain-tracker'
import { fakeChainTracker, randomHeight } from '../helpers/payments-tracker'

const ROOT = 'c0'.repeat(32)

describe('HttpChainTracker', () => {
  it('confirms a registered block’s root and denies any other root', async () => {
    const height = randomHeight()
    await fakeChainTracker.registerBlock(height, ROOT)
    const tracker = new HttpChainTracker({ baseUrl: env.CHAIN_TRACKER_URL })
    expect(await tracker.isValidRootForHeight(ROOT, height)).toBe(true)
    expect(await tracker.isValidRootForHeight(ROOT.toUpperCase(), height)).toBe(true)
    expect(await tracker.isValidRootForHeight('c1'.repeat(32), height)).toBe(false)
  })

  it('answers false for an unknown block (404 with an empty JSON body)', async () => {
    const tracker = new HttpChainTracker({ baseUrl: env.CHAIN_TRACKER_URL })
    expect(await tracker.isValidRootForHeight(ROOT, randomHeight())).toBe(false)
  })

  it('answers false without a request for a malformed root or height', async () => {
    const height = randomHeight()
    const tracker = new HttpChainTracker({ baseUrl: env.CHAIN_TRACKER_URL })
    expect(await tracker.isValidRootForHeight('zz', height)).toBe(false)
    expect(await tracker.isValidRootForHeight(ROOT, -1)).toBe(false)
    expect(await fakeChainTracker.requests(height)).toBe(0)
  })

  it('asks once per confirmed block: a second check of the same root makes no request', async () => {
    const height = randomHeight()
    await fakeChainTracker.registerBlock(height, ROOT)
    const tracker = new HttpChainTracker({ baseUrl: env.CHAIN_TRACKER_URL })
    expect(await tracker.isValidRootForHeight(ROOT, height)).toBe(true)
    expect(await tracker.isValidRootForHeight(ROOT, height)).toBe(true)
    expect(await fakeChainTracker.requests(height)).toBe(1)
  })

  it('does not cache a denial: a block the tracker learns later is confirmed', async () => {
    const height = randomHeight()
    const tracker = new HttpChainTracker({ baseUrl: env.CHAIN_TRACKER_URL })
    expect(await tracker.isValidRootForHeight(ROOT, height)).toBe(false)
    await fakeChainTracker.registerBlock(height, ROOT)
    expect(await tracker.isValidRootForHeight(ROOT, height)).toBe(true)
    expect(await fakeChainTracker.requests(height)).toBe(2)
  })

  it('keeps at most cacheSize confirmed roots', async () => {
    const [h1, h2] = [randomHeight(), randomHeight()]
    await fakeChainTracker.registerBlock(h1, ROOT)
    await fakeChainTracker.registerBlock(h2, ROOT)
    const tracker = new HttpChainTracker({ baseUrl: env.CHAIN_TRACKER_URL, cacheSize: 1 })
    await tracker.isValidRootForHeight(ROOT, h1)
    await tracker.isValidRootForHeight(ROOT, h2) // evicts h1
    await tracker.isValidRootForHeight(ROOT, h1)
    expect(await fakeChainTracker.requests(h1)).toBe(2)
  })

  for (const mode of ['cut', 503, 'garbage'] as const) {
    it(`throws TrackerUnavailable when the tracker answers ${mode}`, async () => {
      const height = randomHeight()
      await fakeChainTracker.registerBlock(height, ROOT)
      await fakeChainTracker.fail(height, mode)
      const tracker = new HttpChainTracker({ baseUrl: env.CHAIN_TRACKER_URL })
      await expect(tracker.isValidRootForHeight(ROOT, height)).rejects.toBeInstanceOf(TrackerUnavailable)
    })
  }

  it('throws TrackerUnavailable when the tracker is slower than the timeout', async () => {
    const tracker = new HttpChainTracker({
      baseUrl: 'http://tracker.invalid',
      timeoutMs: 50,
      fetch: (_input, init) =>
        new Promise((_, reject) =>
          init?.signal?.addEventListener('abort', () => reject(init.signal!.reason)),
        ),
    })
    await expect(tracker.isValidRootForHeight(ROOT, 1)).rejects.toBeInstanceOf(TrackerUnavailable)
  })

  it('asks GET {base}/block/{height}/header with Accept: application/json', async () => {
    const seen: Array<[string, string | null]> = []
    const tracker = new HttpChainTracker({
      baseUrl: 'https://api.example/v1/bsv/main/',
      fetch: async (input, init) => {
        seen.push([String(input), new Headers(init?.headers).get('accept')])
        return Response.json({ merkleroot: ROOT })
      },
    })
    expect(await tracker.isValidRootForHeight(ROOT, 800_000)).toBe(true)
    expect(seen).toEqual([['https://api.example/v1/bsv/main/block/800000/header', 'application/json']])
  })

  it('reads the current height from GET {base}/block/headers', async () => {
    const tracker = new HttpChainTracker({
      baseUrl: 'https://api.example',
      fetch: async (input) =>
        String(input) === 'https://api.example/block/headers'
          ? Response.json([{ height: 900_001 }, { height: 900_000 }])
          : new Response(null, { status: 404 }),
    })
    expect(await tracker.currentHeight()).toBe(900_001)
  })

  it('chainTrackerFor keeps one tracker (and its cache) per base URL, WhatsOnChain mainnet by default', () => {
    expect(chainTrackerFor(env.CHAIN_TRACKER_URL)).toBe(chainTrackerFor(env.CHAIN_TRACKER_URL))
    // Unset, the URL is WhatsOnChain's mainnet API (src/config.ts's default).
    const { CHAIN_TRACKER_URL: _, ...unset } = env
    expect(readConfig(unset as Env).chainTrackerUrl).toBe('https://api.whatsonchain.com/v1/bsv/main')
  })
})
