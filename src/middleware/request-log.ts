import { createMiddleware } from 'hono/factory'
import { randomBytes, toHex } from '../crypto/encoding'
import type { AuthVariables, RequestLogVariables } from '../http/context'

/**
 * One JSON line per request, which Workers Logs indexes field by field: id, method, path, status, duration,
 * the caller's key shortened (when authenticated) and the error code. Nothing secret or personal: no query
 * string, no headers, no body, no full key. The id also goes back in `x-request-id`, so a user's report
 * ("request 3f2a…") finds its line. Outermost, so it sees every answer, signed ones included (the header is
 * not `x-bsv-*`, so adding it after signing changes nothing a client verifies).
 */
export const requestLog = createMiddleware<{ Variables: RequestLogVariables & Partial<AuthVariables> }>(
  async function requestLog(c, next) {
    const started = Date.now()
    const requestId = toHex(randomBytes(8))
    c.set('requestId', requestId)
    await next()
    c.res.headers.set('x-request-id', requestId)
    console.log(
      JSON.stringify({
        requestId,
        method: c.req.method,
        // The path as routed: `createApp`'s getPath (src/http/path.ts) already worked it out.
        path: c.req.path.slice(0, 128),
        status: c.res.status,
        // Wall time as the Worker sees it (its clock moves on I/O, not during CPU work).
        durationMs: Date.now() - started,
        caller: c.var.identityKey ? shortKey(c.var.identityKey) : undefined,
        code: c.var.errorCode,
      }),
    )
  },
)

/** First 8 and last 4 hex digits: enough to find a user's requests, not the key itself. */
export function shortKey(identityKey: string): string {
  return `${identityKey.slice(0, 8)}…${identityKey.slice(-4)}`
}
