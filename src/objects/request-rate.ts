/**
 * An exact fixed-window request counter for one identity, kept in its Mailbox's memory: no storage
 * write per request and no extra round trip (it is consulted inside the nonce claim). A busy Mailbox
 * stays resident, so its window holds; an evicted one starts a fresh window, which can only let an
 * identity that was idle long enough to be evicted through again.
 */
export const RATE_WINDOW_MS = 60_000

export class RequestRateWindow {
  private windowStart = Number.NEGATIVE_INFINITY
  private admitted = 0

  /**
   * Admits one request at `now` if fewer than `limit` were admitted in the current window (0 = no
   * limit), and returns null; otherwise returns how many whole seconds remain until the window ends
   * (at least 1). Refused requests are not counted.
   */
  take(now: number, limit: number): number | null {
    if (limit <= 0) return null
    if (now - this.windowStart >= RATE_WINDOW_MS || now < this.windowStart) {
      this.windowStart = now
      this.admitted = 0
    }
    if (this.admitted < limit) {
      this.admitted++
      return null
    }
    return Math.max(1, Math.ceil((this.windowStart + RATE_WINDOW_MS - now) / 1000))
  }
}
