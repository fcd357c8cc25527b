import type { Env } from '../env'
import { RelayError, rateLimited } from '../errors'
import { clientKey } from './client-network'

// The per-IP handshake budget, shared by both transports: HTTP handshakes, live connections' opens, and
// BRC-103 handshakes inside a socket.

/**
 * The Workers Rate Limiting binding's window for HANDSHAKE_RATE_LIMITER (wrangler.toml `[[ratelimits]]`
 * `simple.period`): a refused handshake may be retried after at most this long.
 */
export const HANDSHAKE_RATE_PERIOD_SECONDS = 60

/**
 * Counts one handshake against the caller's IP (`CF-Connecting-IP`, IPv6 by its /64, which one
 * subscriber typically holds whole) with the HANDSHAKE_RATE_LIMITER binding. See {@link limitHandshakesFrom}.
 * @throws RelayError ERR_RATE_LIMITED (429, with `retryAfter`) over the limit; ERR_SERVER_MISCONFIGURED
 *   when the limit is on but the binding is missing.
 */
export async function limitHandshakes(env: Env, limit: number, request: Request): Promise<void> {
  await limitHandshakesFrom(env, limit, clientAddress(request))
}

/** The rate-limit key of the request's client address ({@link clientKey}), or null without one. */
export function clientAddress(request: Request): string | null {
  const ip = request.headers.get('cf-connecting-ip')
  return ip ? clientKey(ip) : null
}

/**
 * Counts one handshake against a client address (a {@link clientKey}): an HTTP handshake, a live
 * connection's open, or a BRC-103 handshake inside a live connection (which keeps its address from its
 * open), all from one budget.
 *
 * The binding's number is fixed in wrangler.toml (`simple.limit`; production's `limit()` takes only a
 * key), so HANDSHAKE_RATE_LIMIT (`limit`) is the switch: 0 skips the check, any other value means "on,
 * at the binding's limit", and the two are kept equal (60 per 60 s). The binding counts per Cloudflare
 * location and is approximate by design; it protects capacity, not correctness (sessions are bounded
 * by the Mailbox whatever gets through). Without an address (only possible inside Cloudflare, e.g. a
 * service binding or a local test harness) nothing is counted.
 * @throws RelayError ERR_RATE_LIMITED (429, with `retryAfter`) over the limit; ERR_SERVER_MISCONFIGURED
 *   when the limit is on but the binding is missing.
 */
export async function limitHandshakesFrom(
  env: Pick<Env, 'HANDSHAKE_RATE_LIMITER'>,
  limit: number,
  address: string | null,
): Promise<void> {
  if (limit === 0 || address === null) return
  const limiter = env.HANDSHAKE_RATE_LIMITER
  if (!limiter) {
    console.error(
      'relay misconfigured: HANDSHAKE_RATE_LIMIT is on but the HANDSHAKE_RATE_LIMITER binding is missing',
    )
    throw new RelayError(
      'ERR_SERVER_MISCONFIGURED',
      'The relay is misconfigured: HANDSHAKE_RATE_LIMITER is missing (set HANDSHAKE_RATE_LIMIT to "0" to turn it off).',
    )
  }
  const { success } = await limiter.limit({ key: address })
  if (!success) throw rateLimited(limit, HANDSHAKE_RATE_PERIOD_SECONDS, 'handshakes from this address')
}
