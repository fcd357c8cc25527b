/**
 * BRC-104 preimages: the exact bytes a client signs for a request and verifies on a response
 * (docs/protocol.md §3.2 and §4.2). Pure functions, no crypto, no I/O.
 */

export type HeaderList = Array<[name: string, value: string]>

const utf8 = new TextEncoder()
/** VarInt(-1): the two's-complement u64 the SDK writes for "absent". */
const ABSENT = new Uint8Array(9).fill(0xff)

/** Appends Bitcoin CompactSize integers and length-prefixed fields to a growing list of chunks. */
class PreimageWriter {
  private readonly chunks: Uint8Array[] = []
  private length = 0

  bytes(chunk: Uint8Array): this {
    this.chunks.push(chunk)
    this.length += chunk.length
    return this
  }

  varInt(n: number): this {
    if (n < 0xfd) return this.bytes(Uint8Array.of(n))
    if (n <= 0xffff) return this.bytes(Uint8Array.of(0xfd, n & 0xff, n >>> 8))
    if (n <= 0xffffffff) {
      return this.bytes(Uint8Array.of(0xfe, n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24))
    }
    const out = new Uint8Array(9)
    out[0] = 0xff
    new DataView(out.buffer).setBigUint64(1, BigInt(n), true)
    return this.bytes(out)
  }

  /** `VarInt(len) ‖ bytes`, or VarInt(-1) when absent. */
  field(value: Uint8Array | null): this {
    return value === null ? this.bytes(ABSENT) : this.varInt(value.length).bytes(value)
  }

  text(value: string | null): this {
    return this.field(value === null ? null : utf8.encode(value))
  }

  headers(list: HeaderList): this {
    this.varInt(list.length)
    for (const [name, value] of list) this.text(name).text(value)
    return this
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length)
    let at = 0
    for (const chunk of this.chunks) {
      out.set(chunk, at)
      at += chunk.length
    }
    return out
  }
}

export interface SignedRequest {
  requestId: Uint8Array
  method: string
  path: string
  /** `URL.search` including the leading `?`; `''` means no query. */
  search: string
  headers: HeaderList
  /** Raw body bytes; empty means no body. */
  body: Uint8Array
}

/** The request preimage of docs/protocol.md §3.2. */
export function requestPreimage(req: SignedRequest): Uint8Array {
  return new PreimageWriter()
    .bytes(req.requestId)
    .text(req.method)
    .text(req.path)
    .text(req.search === '' ? null : req.search)
    .headers(req.headers)
    .field(req.body.length === 0 ? null : req.body)
    .finish()
}

export interface SignedResponse {
  requestId: Uint8Array
  status: number
  headers: HeaderList
  /** Never empty on the wire (§4.4); the middleware substitutes `{}` before signing. */
  body: Uint8Array
}

/** The response preimage of docs/protocol.md §4.2. */
export function responsePreimage(res: SignedResponse): Uint8Array {
  return new PreimageWriter()
    .bytes(res.requestId)
    .varInt(res.status)
    .headers(res.headers)
    .field(res.body)
    .finish()
}

const isBsvHeader = (name: string) => name.startsWith('x-bsv-') && !name.startsWith('x-bsv-auth')
const byName = (a: [string, string], b: [string, string]) => a[0].localeCompare(b[0])

/**
 * The request headers a BRC-104 client signs (§3.3): `x-bsv-*` except `x-bsv-auth*`, `authorization`
 * and `content-type` (media type only), sorted as the TS client sorts them. `Headers` already
 * lowercases names.
 */
export function signedRequestHeaders(headers: Headers): HeaderList {
  const list: HeaderList = []
  for (const [name, value] of headers) {
    if (name === 'content-type') list.push([name, value.split(';')[0]!.trim()])
    else if (name === 'authorization' || isBsvHeader(name)) list.push([name, value])
  }
  return list.sort(byName)
}

/** The response headers the client puts into its preimage (§4.2): `x-bsv-*` except auth, and `authorization`. */
export function signedResponseHeaders(headers: Headers): HeaderList {
  const list: HeaderList = []
  for (const [name, value] of headers) {
    if (name === 'authorization' || isBsvHeader(name)) list.push([name, value])
  }
  return list.sort(byName)
}
