import { createMiddleware } from 'hono/factory'
import type { Env } from '../env'
import { RelayError } from '../errors'
import type { RawBodyVariables, RequestScopeVariables } from '../http/context'
import { readLimited } from '../http/read-limited'

/**
 * Reads the request body once, as raw bytes, refusing more than MAX_REQUEST_BODY_BYTES: by its
 * Content-Length when it has one, else while it streams (a chunked body cannot make the Worker buffer
 * more). BRC-104 signs
 * these exact bytes, and routes parse them; nothing reads the stream again.
 */
export const rawBody = createMiddleware<{
  Bindings: Env
  Variables: RawBodyVariables & RequestScopeVariables
}>(async function rawBody(c, next) {
  const limit = c.var.config.maxRequestBodyBytes
  c.set('rawBody', await readLimited(c.req.raw, limit).catch(abortedUpload))
  await next()
})

/**
 * A body that stops arriving (the client disconnected mid-upload) is the client's doing: a 400, logged as a
 * warning, not an unhandled error counted as a 5xx.
 */
function abortedUpload(error: unknown): never {
  if (error instanceof RelayError) throw error
  console.warn('request body not received in full (client went away?):', String(error))
  throw new RelayError('ERR_REQUEST_ABORTED', 'The request body was not received in full.')
}
