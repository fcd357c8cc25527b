import type { RateLease } from '../objects/request-rate'

/**
 * A live connection's share of its identity's REQUEST_RATE_LIMIT (docs/contract.md: one budget per identity,
 * shared by HTTP requests and socket events over all of its connections). The window is the identity's
 * Mailbox's; the connection takes a few requests of it at a time (a lease) and admits events from that
 * share without a call, asking again only when it is spent. Once the Mailbox refuses, events are refused
 * here until its window ends, without asking: a flood over the limit costs the Mailbox nothing.
 * Memory only: a connection that hibernates or is evicted forgets its share, which only ever admits less.
 */
export class LeasedRequests {
  private holder: string | null = null
  private left = 0
  private validUntil = 0
  private refusedUntil = 0

  /**
   * Admits one event of `identity` at `now`: null, or the whole seconds to wait (at least 1). Calls `lease`
   * (the identity's Mailbox) for `size` more when this connection's share is spent or expired.
   */
  async admit(
    identity: string,
    now: number,
    size: number,
    lease: (wanted: number) => Promise<RateLease>,
  ): Promise<number | null> {
    if (identity !== this.holder) {
      // Another identity's session on this connection: its own budget, its own share.
      this.holder = identity
      this.left = 0
      this.refusedUntil = 0
    }
    if (now < this.refusedUntil) return Math.max(1, Math.ceil((this.refusedUntil - now) / 1000))
    if (this.left === 0 || now >= this.validUntil) {
      const taken = await lease(size)
      this.left = taken.granted
      this.validUntil = now + taken.validForMs
      if (taken.granted === 0) {
        this.refusedUntil = this.validUntil
        return taken.retryAfterSeconds ?? 1
      }
    }
    this.left--
    return null
  }
}
