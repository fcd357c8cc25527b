import { RelayError } from '../../errors'
import type { ClaimResult } from '../../objects/session-store'

/** The exact phrase that makes AuthFetch drop its session and handshake again (docs/protocol.md §5.4). */
export function sessionNotFound(serverNonce: string): RelayError {
  return new RelayError('ERR_SESSION_NOT_FOUND', `Session not found for nonce: ${serverNonce.slice(0, 64)}`)
}

/**
 * Runs a call to the session store (a Mailbox Durable Object).
 * @throws RelayError('ERR_STORAGE_UNAVAILABLE') when the store itself fails, logged once here.
 */
export async function withSessionStore<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation()
  } catch (error) {
    console.error('session store unavailable', error)
    throw new RelayError('ERR_STORAGE_UNAVAILABLE', 'The session store is unavailable; try again.')
  }
}

/** A claimed request: the session's client nonce, and whether the identity is over its request rate. */
export interface ClaimedRequest {
  clientNonce: string
  /** Set when the request must be answered 429 (signed, since it is authenticated) and run nothing. */
  rateLimited: { limit: number; retryAfterSeconds: number } | null
}

/**
 * Claims a request nonce in session `serverNonce` and returns the session's client nonce.
 * @throws RelayError ERR_REPLAYED_REQUEST, ERR_SESSION_NOT_FOUND (401) or ERR_STORAGE_UNAVAILABLE (503).
 */
export async function claimNonce(
  serverNonce: string,
  claim: () => Promise<ClaimResult>,
): Promise<ClaimedRequest> {
  const result = await withSessionStore(claim)
  if (result.ok) return { clientNonce: result.clientNonce, rateLimited: null }
  if (result.reason === 'rate-limited') {
    const { clientNonce, limit, retryAfterSeconds } = result
    return { clientNonce, rateLimited: { limit, retryAfterSeconds } }
  }
  if (result.reason === 'replayed') {
    throw new RelayError('ERR_REPLAYED_REQUEST', 'This nonce was already used in this session.')
  }
  throw sessionNotFound(serverNonce)
}
