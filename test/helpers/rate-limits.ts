/** A documentation-range IPv4 address (198.51.100.0/16 here) no other test uses: its own handshake budget. */
export const randomIp = () =>
  `198.51.${crypto.getRandomValues(new Uint8Array(1))[0]}.${crypto.getRandomValues(new Uint8Array(1))[0]}`

/** The handshake limiter counts per fixed minute: start a burst early in one, so it cannot straddle two. */
export async function startOfAMinute() {
  const into = Date.now() % 60_000
  if (into > 30_000) await new Promise((r) => setTimeout(r, 60_000 - into + 50))
}
