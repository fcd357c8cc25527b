import type { Context } from 'hono'
import { type RelayError, toErrorBody } from '../errors'
import type { RequestLogVariables } from './context'

/**
 * The contract's error envelope for `error`, with this request's id (also in `x-request-id`) and, for a
 * refusal that says when to come back (`retryAfter`, seconds), a `Retry-After` header; the code is noted
 * for the request's log line. Every error the relay answers, signed or not, is rendered here.
 */
export function renderError<E extends { Variables: RequestLogVariables }>(
  c: Context<E>,
  error: RelayError,
): Response {
  // Through the base type: Hono's `set` cannot see a generic env's variable names.
  ;(c as unknown as Context<{ Variables: RequestLogVariables }>).set('errorCode', error.code)
  const retryAfter = error.details.retryAfter
  return c.json(
    { ...toErrorBody(error), requestId: c.var.requestId },
    error.status,
    typeof retryAfter === 'number' ? { 'retry-after': String(retryAfter) } : {},
  )
}
