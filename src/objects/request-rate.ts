/**
 * An exact fixed-window request counter for one identity, kept in its Mailbox's memory: no storage
 * write per request and no extra round trip (it is consulted inside the nonce claim). A busy Mailbox
 * stays resident, so its window holds; an evicted one starts a fresh window, which can only let an
 * identity that was idle long enough to be evicted through again.
 */
export const RATE_WINDOW_MS = 60_000

/** Part of an identity's window handed to one live connection (see `RequestRateWindow.lease`). */
export interface RateLease {
  /** Requests the connection may admit on its own, 0 when the window is spent. */
  granted: number
  /** How long they stay valid: until the window they were taken from ends. */
  validForMs: number
  /** When nothing was granted: whole seconds until the window ends (at least 1). */
  retryAfterSeconds: number | null
}

export class RequestRateWindow {
  private windowStart = Number.NEGATIVE_INFINITY
  private admitted = 0

  /**
   * Admits one request at `now` if fewer than `limit` were admitted in the current window (0 = no
   * limit), and returns null; otherwise returns how many whole seconds remain until the window ends
   * (at least 1). Refused requests are not counted.
   */
  take(now: number, limit: number): number | null {
    const lease = this.lease(now, limit, 1)
    return lease.granted === 1 ? null : lease.retryAfterSeconds
  }

  /**
   * Takes up to `wanted` requests of the current window at once, for a live connection to admit socket
   * events without asking each time: counted here as admitted, so the identity's HTTP requests and all of
   * its connections share one budget and together never pass `limit` (0 = no limit: all granted). What a
   * connection does not use before the window ends is lost, never carried into the next window.
   */
  lease(now: number, limit: number, wanted: number): RateLease {
    if (limit <= 0) return { granted: wanted, validForMs: RATE_WINDOW_MS, retryAfterSeconds: null }
    if (now - this.windowStart >= RATE_WINDOW_MS || now < this.windowStart) {
      this.windowStart = now
      this.admitted = 0
    }
    const validForMs = this.windowStart + RATE_WINDOW_MS - now
    const granted = Math.max(0, Math.min(wanted, limit - this.admitted))
    this.admitted += granted
    return {
      granted,
      validForMs,
      retryAfterSeconds: granted > 0 ? null : Math.max(1, Math.ceil(validForMs / 1000)),
    }
  }
}

/**
 * How many requests a live connection takes from its identity's window at a time: one Mailbox call per
 * lease instead of one per socket event. At most `size - 1` of a lease can go unused when its window ends
 * (a connection that goes quiet), so an identity may be admitted up to that many fewer per live
 * connection (under 1 % of its limit), never more than its limit. A hundredth of the limit, from 1 to 10:
 * 1200 a minute leases 10 (one Mailbox call per 10 socket events); under 200, every event asks.
 */
export function leaseSize(limit: number): number {
  return Math.max(1, Math.min(10, Math.floor(limit / 100)))
}
