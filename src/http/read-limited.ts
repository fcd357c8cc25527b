import { RelayError } from '../errors'

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

function tooLarge(limit: number): RelayError {
  return new RelayError('ERR_REQUEST_TOO_LARGE', `The request body exceeds ${limit} bytes.`, { limit })
}
