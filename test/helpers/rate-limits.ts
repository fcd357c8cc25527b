/** A documentation-range IPv4 address (198.51.100.0/16 here) no other test uses: its own handshake budget. */
export const randomIp = () =>
  `198.51.${crypto.getRandomValues(new Uint8Array(1))[0]}.${crypto.getRandomValues(new Uint8Array(1))[0]}`

/** The handshake limiter counts per fixed minute: start a burst early in one, so it cannot straddle two. */
export async function startOfAMinute() {
  const into = Date.now() % 60_000
  if (into > 30_000) await new Promise((r) => setTimeout(r, 60_000 - into + 50))
}

/**
 * A stand-in for the HANDSHAKE_RATE_LIMITER binding that counts exactly, per key, for as long as it lives (one
 * test): what the relay does with the binding's answer is tested without waiting for the real one's minute.
 * The real binding keeps one smoke test of its own (test/middleware/rate-limits.test.ts).
 */
export function exactRateLimiter(limit: number): RateLimit {
  const counts = new Map<string, number>()
  return {
    limit: async ({ key }) => {
      const count = (counts.get(key) ?? 0) + 1
      counts.set(key, count)
      return { success: count <= limit }
    },
  }
}
