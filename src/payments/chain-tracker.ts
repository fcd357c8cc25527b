import type { ChainTracker } from '@bsv/sdk'
import { LruCache } from '../crypto/lru'

/**
 * A chain tracker that could not answer (network error, timeout, a status other than 200/404, a body
 * without a merkle root). The SDK's `Transaction.verify` lets it propagate unchanged, so the payment
 * check maps exactly this class to 503 `ERR_PAYMENT_UNAVAILABLE` and never to an acceptance.
 */
export class TrackerUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'TrackerUnavailable'
  }
}

export interface HttpChainTrackerOptions {
  /** A WhatsOnChain-compatible API root, e.g. `https://api.whatsonchain.com/v1/bsv/main`. */
  baseUrl: string
  /** Per request; a slower tracker is unavailable. Default 5000 ms. */
  timeoutMs?: number
  /** Confirmed (height, root) pairs kept per isolate. Default 10 000 (~1 MB). */
  cacheSize?: number
  /** Tests pass a recording fetch; the default is the global one. */
  fetch?: typeof fetch
}

const ROOT = /^[0-9a-f]{64}$/

/**
 * The SDK's `ChainTracker` over a WhatsOnChain-compatible header API (WhatsOnChain itself, or any
 * service answering the same two routes): `GET {base}/block/{height}/header` → `{merkleroot}` (404 =
 * unknown block) and `GET {base}/block/headers` → `[{height}…]`, newest first. Unlike the SDK's own
 * `WhatsOnChain` class its base URL is configurable, a 404 is `false` whatever its body, and every
 * other failure is a {@link TrackerUnavailable}. Confirmed roots are cached (a block's root never
 * changes); negative answers are not, so a block the tracker has not seen yet is asked again.
 */
export class HttpChainTracker implements ChainTracker {
  readonly baseUrl: string
  private readonly timeoutMs: number
  private readonly confirmed: LruCache<string, true>
  private readonly fetcher: typeof fetch

  constructor(options: HttpChainTrackerOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '')
    this.timeoutMs = options.timeoutMs ?? 5_000
    this.confirmed = new LruCache(options.cacheSize ?? 10_000)
    this.fetcher = options.fetch ?? ((input, init) => fetch(input, init))
  }

  /**
   * Whether `root` (display hex) is the merkle root of the block at `height`.
   * @throws TrackerUnavailable when the tracker does not give a clear answer.
   */
  async isValidRootForHeight(root: string, height: number): Promise<boolean> {
    const wanted = root.toLowerCase()
    if (!ROOT.test(wanted) || !Number.isSafeInteger(height) || height < 0) return false
    const key = `${height}:${wanted}`
    if (this.confirmed.get(key)) return true
    const response = await this.get(`/block/${height}/header`)
    if (response.status === 404) {
      await response.body?.cancel()
      return false
    }
    const header = await this.json(response)
    const merkleroot = (header as { merkleroot?: unknown } | null)?.merkleroot
    if (typeof merkleroot !== 'string')
      throw new TrackerUnavailable(`chain tracker sent no merkleroot for block ${height}`)
    const valid = merkleroot.toLowerCase() === wanted
    if (valid) this.confirmed.set(key, true)
    return valid
  }

  /**
   * The height of the newest block (the SDK asks it only for a coinbase input).
   * @throws TrackerUnavailable when the tracker does not give one.
   */
  async currentHeight(): Promise<number> {
    const headers = await this.json(await this.get('/block/headers'))
    const height = Array.isArray(headers)
      ? (headers[0] as { height?: unknown } | undefined)?.height
      : undefined
    if (typeof height !== 'number' || !Number.isSafeInteger(height) || height < 0)
      throw new TrackerUnavailable('chain tracker sent no current height')
    return height
  }

  private async get(path: string): Promise<Response> {
    try {
      return await this.fetcher(this.baseUrl + path, {
        headers: { Accept: 'application/json' },
        signal: AbortSignal.timeout(this.timeoutMs),
      })
    } catch (error) {
      throw new TrackerUnavailable(`chain tracker unreachable: ${String(error)}`, { cause: error })
    }
  }

  private async json(response: Response): Promise<unknown> {
    if (response.status !== 200) {
      await response.body?.cancel()
      throw new TrackerUnavailable(`chain tracker answered ${response.status}`)
    }
    try {
      return await response.json()
    } catch (error) {
      throw new TrackerUnavailable('chain tracker sent a body that is not JSON', { cause: error })
    }
  }
}

// One tracker (and so one cache of confirmed roots) per base URL for the isolate's life.
const trackers = new Map<string, HttpChainTracker>()

/**
 * The isolate's tracker for `baseUrl` (CHAIN_TRACKER_URL, as src/config.ts read it), so confirmed roots are
 * cached across requests. Built on first use, never at module scope.
 */
export function chainTrackerFor(baseUrl: string): HttpChainTracker {
  const base = baseUrl.trim()
  let tracker = trackers.get(base)
  if (!tracker) {
    // A misconfiguration that changes the URL per request must not grow this map without bound.
    if (trackers.size >= 8) trackers.clear()
    tracker = new HttpChainTracker({ baseUrl: base })
    trackers.set(base, tracker)
  }
  return tracker
}
