/** Attempts per job, the first included: a device still failing transiently after these is given up on. */
export const MAX_PUSH_ATTEMPTS = 5

// Google asks for back-off starting at no less than a minute on 429 and 5xx.
const FIRST_DELAY_SECONDS = 60
// A push hours late is noise; the message itself waits in the box regardless.
const MAX_DELAY_SECONDS = 3600

/**
 * Seconds until attempt `attempt + 1` of a job whose attempt `attempt` failed transiently: FCM's
 * `Retry-After` when it gave one, else 60 s × 2^(attempt-1); within 1 s .. 1 h either way.
 */
export function retryDelaySeconds(attempt: number, retryAfterSeconds: number | null): number {
  const backoff = FIRST_DELAY_SECONDS * 2 ** Math.max(0, attempt - 1)
  return Math.min(MAX_DELAY_SECONDS, Math.max(1, retryAfterSeconds ?? backoff))
}
