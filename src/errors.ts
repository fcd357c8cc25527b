import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

/**
 * Every error code the relay sends. Codes are the reference server's where it has one, because
 * clients match on them (see docs/contract.md).
 */
export type RelayErrorCode =
  // authentication (unsigned responses, no handler ran)
  | 'UNAUTHORIZED'
  | 'ERR_MALFORMED_AUTH_HEADERS'
  | 'ERR_AUTH_FAILED'
  | 'ERR_SESSION_NOT_FOUND'
  | 'ERR_REPLAYED_REQUEST'
  | 'ERR_INVALID_HANDSHAKE'
  | 'ERR_UNSUPPORTED_AUTH_VERSION'
  // request shape
  | 'ERR_INVALID_JSON'
  | 'ERR_REQUEST_TOO_LARGE'
  | 'ERR_NOT_FOUND'
  | 'ERR_METHOD_NOT_ALLOWED'
  // BRC-33 routes
  | 'ERR_MESSAGE_REQUIRED'
  | 'ERR_INVALID_MESSAGEBOX'
  | 'ERR_INVALID_MESSAGE_BODY'
  | 'ERR_RECIPIENT_REQUIRED'
  | 'ERR_TOO_MANY_RECIPIENTS'
  | 'ERR_MESSAGEID_COUNT_MISMATCH'
  | 'ERR_INVALID_MESSAGEID'
  | 'ERR_INVALID_RECIPIENT_KEY'
  | 'ERR_DUPLICATE_RECIPIENT'
  | 'ERR_MESSAGE_BODY_TOO_LARGE'
  | 'ERR_DUPLICATE_MESSAGE'
  | 'ERR_INBOX_QUOTA_EXCEEDED'
  | 'ERR_SENDER_QUOTA_EXCEEDED'
  | 'ERR_RATE_LIMITED'
  | 'ERR_STORAGE_FULL'
  | 'ERR_REQUEST_ABORTED'
  | 'ERR_MESSAGEBOX_REQUIRED'
  | 'ERR_INVALID_LIMIT'
  | 'ERR_INVALID_OFFSET'
  | 'ERR_MESSAGE_ID_REQUIRED'
  | 'ERR_INVALID_MESSAGE_ID'
  | 'ERR_TOO_MANY_MESSAGE_IDS'
  | 'ERR_INVALID_ACKNOWLEDGMENT'
  // permissions and fees
  | 'ERR_INVALID_REQUEST'
  | 'ERR_INVALID_FEE_VALUE'
  | 'ERR_INVALID_PUBLIC_KEY'
  | 'ERR_INVALID_MESSAGE_BOX'
  | 'ERR_MISSING_PARAMETERS'
  | 'ERR_DELIVERY_BLOCKED'
  | 'ERR_MISSING_PAYMENT_TX'
  | 'ERR_INVALID_PAYMENT'
  | 'ERR_INSUFFICIENT_PAYMENT'
  | 'ERR_MISSING_RECIPIENT_OUTPUTS'
  | 'ERR_PAYMENT_REPLAYED'
  | 'ERR_PAYMENT_DOUBLE_SPENT'
  | 'ERR_PAYMENT_UNAVAILABLE'
  // devices
  | 'ERR_INVALID_FCM_TOKEN'
  | 'ERR_INVALID_PLATFORM'
  | 'ERR_INVALID_DEVICE_ID'
  // live delivery (socket acknowledgements)
  | 'ERR_NOT_AUTHENTICATED'
  | 'ERR_INVALID_ROOM'
  // the server itself
  | 'ERR_SERVER_MISCONFIGURED'
  | 'ERR_STORAGE_UNAVAILABLE'
  | 'ERR_INTERNAL'

/** The HTTP status of each code; exhaustive so a new code cannot ship without one. */
export function statusFor(code: RelayErrorCode): ContentfulStatusCode {
  switch (code) {
    case 'UNAUTHORIZED':
    case 'ERR_AUTH_FAILED':
    case 'ERR_SESSION_NOT_FOUND':
    case 'ERR_REPLAYED_REQUEST':
    case 'ERR_UNSUPPORTED_AUTH_VERSION':
    case 'ERR_NOT_AUTHENTICATED':
      return 401
    case 'ERR_REQUEST_TOO_LARGE':
    case 'ERR_MESSAGE_BODY_TOO_LARGE':
      return 413
    case 'ERR_INBOX_QUOTA_EXCEEDED':
    case 'ERR_SENDER_QUOTA_EXCEEDED':
    case 'ERR_RATE_LIMITED':
      return 429
    case 'ERR_STORAGE_FULL':
      return 507
    case 'ERR_NOT_FOUND':
      return 404
    case 'ERR_METHOD_NOT_ALLOWED':
      return 405
    case 'ERR_DELIVERY_BLOCKED':
      return 403
    case 'ERR_PAYMENT_REPLAYED':
    case 'ERR_PAYMENT_DOUBLE_SPENT':
      return 409
    case 'ERR_SERVER_MISCONFIGURED':
    case 'ERR_INTERNAL':
      return 500
    case 'ERR_STORAGE_UNAVAILABLE':
    case 'ERR_PAYMENT_UNAVAILABLE':
      return 503
    case 'ERR_MALFORMED_AUTH_HEADERS':
    case 'ERR_INVALID_HANDSHAKE':
    case 'ERR_INVALID_JSON':
    case 'ERR_MESSAGE_REQUIRED':
    case 'ERR_INVALID_MESSAGEBOX':
    case 'ERR_INVALID_MESSAGE_BODY':
    case 'ERR_RECIPIENT_REQUIRED':
    case 'ERR_TOO_MANY_RECIPIENTS':
    case 'ERR_MESSAGEID_COUNT_MISMATCH':
    case 'ERR_INVALID_MESSAGEID':
    case 'ERR_INVALID_RECIPIENT_KEY':
    case 'ERR_DUPLICATE_RECIPIENT':
    case 'ERR_DUPLICATE_MESSAGE':
    case 'ERR_MESSAGEBOX_REQUIRED':
    case 'ERR_INVALID_LIMIT':
    case 'ERR_INVALID_OFFSET':
    case 'ERR_MESSAGE_ID_REQUIRED':
    case 'ERR_INVALID_MESSAGE_ID':
    case 'ERR_TOO_MANY_MESSAGE_IDS':
    case 'ERR_INVALID_ACKNOWLEDGMENT':
    case 'ERR_INVALID_REQUEST':
    case 'ERR_INVALID_FEE_VALUE':
    case 'ERR_INVALID_PUBLIC_KEY':
    case 'ERR_INVALID_MESSAGE_BOX':
    case 'ERR_MISSING_PARAMETERS':
    case 'ERR_MISSING_PAYMENT_TX':
    case 'ERR_INVALID_PAYMENT':
    case 'ERR_INSUFFICIENT_PAYMENT':
    case 'ERR_MISSING_RECIPIENT_OUTPUTS':
    case 'ERR_INVALID_FCM_TOKEN':
    case 'ERR_INVALID_PLATFORM':
    case 'ERR_INVALID_DEVICE_ID':
    case 'ERR_REQUEST_ABORTED':
    case 'ERR_INVALID_ROOM':
      return 400
  }
}

/** Extra fields an error body may carry beside the envelope (e.g. `resource` and `limit` on a 429). */
export type ErrorDetails = Record<string, string | number | boolean | string[]>

/** A request failure with a contract error code; `app.onError` renders it as the JSON envelope. */
export class RelayError extends HTTPException {
  readonly code: RelayErrorCode
  readonly details: ErrorDetails

  constructor(code: RelayErrorCode, description: string, details: ErrorDetails = {}) {
    super(statusFor(code), { message: description })
    this.code = code
    this.details = details
  }
}

/** The contract's error envelope: `{status:"error", code, description, ...details}`. */
export function toErrorBody(error: RelayError): Record<string, unknown> {
  const body: Record<string, unknown> = {
    status: 'error',
    code: error.code,
    description: error.message,
    ...error.details,
  }
  // The reference server sends `message` on this one; clients may read either.
  if (error.code === 'UNAUTHORIZED') body.message = error.message
  return body
}

/** A 429 ERR_RATE_LIMITED carrying the limit and the wait, for the body (and `Retry-After`). */
export function rateLimited(limit: number, retryAfterSeconds: number, what: string): RelayError {
  return new RelayError('ERR_RATE_LIMITED', `Too many ${what}; retry after ${retryAfterSeconds} s.`, {
    limit,
    retryAfter: retryAfterSeconds,
  })
}
