/**
 * What one FCM send means for the device (docs/payments-and-push.md B3):
 * - `ok`: delivered (set `lastUsed`);
 * - `token-invalid`: FCM will never deliver to this token (make the device inactive);
 * - `transient`: try again later, not before `retryAfterSeconds` when FCM said so;
 * - `unauthenticated`: our access token was refused (refresh it, retry once);
 * - `keep`: a configuration or payload problem of ours: log it, and keep the token.
 */
export type FcmOutcome =
  | { kind: 'ok' }
  | { kind: 'token-invalid'; reason: string }
  | { kind: 'transient'; reason: string; retryAfterSeconds: number | null }
  | { kind: 'unauthenticated'; reason: string }
  | { kind: 'keep'; reason: string }

interface FcmErrorBody {
  status?: string
  message?: string
  errorCodes: string[]
  /** `google.rpc.BadRequest` field violations: the fields FCM objected to. */
  fields: string[]
}

/** Classifies FCM's answer to one send by its status and, for errors, the codes in `error.details`. */
export function classifyFcmResponse(status: number, body: string, retryAfter: string | null): FcmOutcome {
  if (status >= 200 && status < 300) return { kind: 'ok' }
  const error = parseError(body)
  const reason =
    `HTTP ${status} ${error.status ?? ''} ${error.errorCodes.join(',')} ${error.message ?? ''}`.trim()
  const has = (code: string) => error.errorCodes.includes(code)
  if (status === 429 || status >= 500) {
    return { kind: 'transient', reason, retryAfterSeconds: parseRetryAfter(retryAfter) }
  }
  // Google deletes a token on these only when the payload is known good: decided by `details`, never by
  // the status alone (a 404 without UNREGISTERED is a wrong URL, not a dead device).
  if (status === 404 && has('UNREGISTERED')) return { kind: 'token-invalid', reason }
  if (status === 403 && has('SENDER_ID_MISMATCH')) return { kind: 'token-invalid', reason }
  if (status === 400 && isTokenRejected(error)) return { kind: 'token-invalid', reason }
  if (status === 401 && !has('THIRD_PARTY_AUTH_ERROR')) return { kind: 'unauthenticated', reason }
  return { kind: 'keep', reason }
}

/** A 400 about the registration token itself, and about nothing else we sent. */
function isTokenRejected(error: FcmErrorBody): boolean {
  if (!error.errorCodes.includes('INVALID_ARGUMENT') && error.status !== 'INVALID_ARGUMENT') return false
  const otherFields = error.fields.filter((field) => field !== 'message.token')
  if (otherFields.length > 0) return false
  return error.fields.includes('message.token') || /registration token/i.test(error.message ?? '')
}

function parseError(body: string): FcmErrorBody {
  const result: FcmErrorBody = { errorCodes: [], fields: [] }
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch {
    return result
  }
  const error = (json as { error?: unknown } | null)?.error
  if (typeof error !== 'object' || error === null) return result
  const { status, message, details } = error as Record<string, unknown>
  if (typeof status === 'string') result.status = status
  if (typeof message === 'string') result.message = message
  for (const detail of Array.isArray(details) ? details : []) {
    if (typeof detail !== 'object' || detail === null) continue
    const { errorCode, fieldViolations } = detail as Record<string, unknown>
    if (typeof errorCode === 'string') result.errorCodes.push(errorCode)
    for (const violation of Array.isArray(fieldViolations) ? fieldViolations : []) {
      const field = (violation as { field?: unknown } | null)?.field
      if (typeof field === 'string') result.fields.push(field)
    }
  }
  return result
}

/** `Retry-After` in seconds (delta or HTTP date), or null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (value === null || value.trim() === '') return null
  if (/^\d+$/.test(value.trim())) return Number(value.trim())
  const at = Date.parse(value)
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000))
}
