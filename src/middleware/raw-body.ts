import { createMiddleware } from 'hono/factory'
import { readConfig } from '../config'
import type { Env } from '../env'
import { RelayError } from '../errors'
import type { RawBodyVariables } from '../http/context'

/**
 * Reads the request body once, as raw bytes, refusing more than MAX_REQUEST_BODY_BYTES: by its
 * Content-Length when it has one, else while it streams (a chunked body cannot make the Worker buffer
 * more). BRC-104 signs
 * these exact bytes, and routes parse them; nothing reads the stream again.
 */
export const rawBody = createMiddleware<{ Bindings: Env; Variables: RawBodyVariables }>(
  async function rawBody(c, next) {
    const limit = readConfig(c.env).maxRequestBodyBytes
    c.set('rawBody', await readLimited(c.req.raw, limit).catch(abortedUpload))
    await next()
  },
)

/** The body of `request`, at most `limit` bytes. @throws RelayError ERR_REQUEST_TOO_LARGE */
export async function readLimited(request: Request, limit: number): Promise<Uint8Array> {
  const declared = request.headers.get('content-length')
  if (declared !== null && /^\d+$/.test(declared)) {
    // HTTP framing bounds the body by its Content-Length, so one native read is safe (and much
    // cheaper for a 64 KiB body than a JS chunk loop); the check after it costs nothing.
    if (Number(declared) > limit) throw tooLarge(limit)
    const body = new Uint8Array(await request.arrayBuffer())
    if (body.length > limit) throw tooLarge(limit)
    return body
  }
  if (!request.body) return new Uint8Array(0)
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length
    if (size > limit) throw tooLarge(limit)
    chunks.push(chunk)
  }
  if (chunks.length === 1) return chunks[0]!
  const body = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    body.set(chunk, at)
    at += chunk.length
  }
  return body
}

/**
 * A body that stops arriving (the client disconnected mid-upload) is the client's doing: a 400, logged as a
 * warning, not an unhandled error counted as a 5xx.
 */
function abortedUpload(error: unknown): never {
  if (error instanceof RelayError) throw error
  console.warn('request body not received in full (client went away?):', String(error))
  throw new RelayError('ERR_REQUEST_ABORTED', 'The request body was not received in full.')
}

function tooLarge(limit: number): RelayError {
  return new RelayError('ERR_REQUEST_TOO_LARGE', `The request body exceeds ${limit} bytes.`, { limit })
}
