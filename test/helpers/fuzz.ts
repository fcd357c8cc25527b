import { PrivateKey, Utils } from '@bsv/sdk'
import { env, SELF } from 'cloudflare:test'
import fc from 'fast-check'
import { expect, inject } from 'vitest'
import { requestPreimage, signedRequestHeaders } from '../../src/middleware/brc104-auth/payload'
import type { FetchLike } from './client'
import { rawHandshake } from './raw-client'
import { RELAY_ORIGIN } from './relay'

/**
 * Shared parts of the fuzz suite (test/fuzz/*): run budgets and seeds, a hand-signing BRC-104 client that
 * can send any bytes (cheaper than AuthFetch, and able to replay or tamper with what it sent), and a
 * snapshot of the relay's D1 state to compare before and after a request.
 */

declare module 'vitest' {
  export interface ProvidedContext {
    /** Runs per property; set by test/fuzz/vitest.config.mts from FUZZ_RUNS. */
    fuzzRuns?: number
    /** fast-check seed; set by test/fuzz/vitest.config.mts from FUZZ_SEED. */
    fuzzSeed?: number
  }
}

/** The constant seed CI runs with (a longer or different run: FUZZ_SEED, see test/fuzz/vitest.config.mts). */
export const DEFAULT_FUZZ_SEED = 0x62c33

/**
 * fast-check parameters for one property: `defaultRuns` (sized so the suite stays well under 60 s on two
 * cores) unless FUZZ_RUNS overrides it, and the fixed seed unless FUZZ_SEED does. The seed and run count
 * are printed, so any failure can be replayed with the same FUZZ_SEED.
 */
export function fuzzParameters<T>(name: string, defaultRuns: number): fc.Parameters<T> {
  const seed = inject('fuzzSeed') ?? DEFAULT_FUZZ_SEED
  const numRuns = inject('fuzzRuns') ?? defaultRuns
  console.log(`[fuzz] ${name}: seed=${seed} runs=${numRuns}`)
  return { seed, numRuns, verbose: 1 }
}

const AUTH: [2, string] = [2, 'auth message signature']
const toSELF: FetchLike = (input, init) => SELF.fetch(input, init)

/** A request exactly as it went on the wire, for resending byte for byte or with changes. */
export interface WireRequest {
  url: string
  method: string
  headers: [string, string][]
  body: Uint8Array | undefined
}

/** A BRC-104 session opened by a real handshake, signing with the client's own @bsv/sdk wallet. */
export interface FuzzSession {
  identityKey: string
  /** Signs `request` in this session (exactly as AuthFetch would) without sending it. */
  sign(request: UnsignedRequest): Promise<WireRequest>
  /** Signs and sends. */
  send(request: UnsignedRequest): Promise<Response>
}

export interface UnsignedRequest {
  method?: string
  /** Path and query as they should reach the server, e.g. `/permissions/get?messageBox=x`. */
  path: string
  /** A JSON value (serialized), raw text, or raw bytes (may be invalid UTF-8). */
  body?: unknown
  /** Send `body` as is when it is a string, instead of JSON-encoding it. */
  rawBody?: boolean
  headers?: Record<string, string>
}

/** Opens a session for a fresh (or given) identity through the relay's real handshake route. */
export async function fuzzSession(
  target: FetchLike = toSELF,
  privateKey = PrivateKey.fromRandom(),
): Promise<FuzzSession> {
  const session = await rawHandshake(target, privateKey)
  expect(session.serverNonce, 'the handshake answered with a server nonce').toBeTypeOf('string')
  const { wallet, identityKey } = session
  const reply = { initialNonce: session.serverNonce, identityKey: session.serverIdentityKey }

  async function sign(request: UnsignedRequest): Promise<WireRequest> {
    const method = request.method ?? 'POST'
    // Sign what the server will see: the URL as the runtime parses it.
    const url = new URL(RELAY_ORIGIN + request.path)
    const headers = request.headers ?? (method === 'GET' ? {} : { 'content-type': 'application/json' })
    const body = encodeBody(request, method)
    const requestId = crypto.getRandomValues(new Uint8Array(32))
    const nonce = Utils.toBase64(Array.from(crypto.getRandomValues(new Uint8Array(32))))
    const preimage = requestPreimage({
      requestId,
      method,
      path: url.pathname,
      search: url.search,
      headers: signedRequestHeaders(new Headers(headers)),
      body: body ?? new Uint8Array(0),
    })
    const { signature } = await wallet.createSignature({
      data: Array.from(preimage),
      protocolID: AUTH,
      keyID: `${nonce} ${reply.initialNonce}`,
      counterparty: reply.identityKey,
    })
    return {
      url: url.href,
      method,
      headers: [
        ...Object.entries(headers),
        ['x-bsv-auth-version', '0.1'],
        ['x-bsv-auth-identity-key', identityKey],
        ['x-bsv-auth-nonce', nonce],
        ['x-bsv-auth-your-nonce', reply.initialNonce],
        ['x-bsv-auth-request-id', Utils.toBase64(Array.from(requestId))],
        ['x-bsv-auth-signature', Utils.toHex(signature)],
      ],
      body,
    }
  }
  return { identityKey, sign, send: async (request) => sendWire(await sign(request), target) }
}

function encodeBody(request: UnsignedRequest, method: string): Uint8Array | undefined {
  if (method === 'GET' || request.body === undefined) return undefined
  if (request.body instanceof Uint8Array) return request.body
  const text =
    request.rawBody && typeof request.body === 'string' ? request.body : JSON.stringify(request.body)
  return new TextEncoder().encode(text)
}

/** Sends a wire request (headers in order, duplicates kept) to the worker under test. */
export function sendWire(request: WireRequest, target: FetchLike = toSELF): Promise<Response> {
  const headers = new Headers()
  for (const [name, value] of request.headers) headers.append(name, value)
  return target(request.url, {
    method: request.method,
    headers,
    body: request.method === 'GET' || request.method === 'HEAD' ? undefined : request.body,
  })
}

/** What an answer looked like: status, code, whether it was signed, and its text. */
export interface Answer {
  status: number
  code: string | undefined
  signed: boolean
  text: string
}

export async function answerOf(res: Response): Promise<Answer> {
  const text = await res.text()
  let code: string | undefined
  try {
    code = (JSON.parse(text) as { code?: string }).code
  } catch {
    code = undefined
  }
  return { status: res.status, code, signed: res.headers.has('x-bsv-auth-signature'), text }
}

/**
 * Everything the relay keeps in D1 (messages, bodies, permissions, devices), in a stable order. Test storage is
 * isolated per file, so comparing two snapshots shows any write the file's own requests made.
 * `devices.last_used` is left out: a push job from an earlier successful send may set it at any time.
 */
export async function d1State(): Promise<string> {
  const [messages, bodies, permissions, devices] = await env.DB.batch([
    env.DB.prepare(
      'SELECT seq, message_id, recipient, message_box, sender, body_id, created_at, expires_at FROM messages ORDER BY seq',
    ),
    env.DB.prepare('SELECT id, body FROM message_bodies ORDER BY id'),
    env.DB.prepare('SELECT * FROM permissions ORDER BY owner, message_box, sender'),
    env.DB.prepare(
      'SELECT id, identity_key, fcm_token, device_id, platform, active, created_at, updated_at FROM devices ORDER BY id',
    ),
  ])
  return JSON.stringify({
    messages: messages!.results,
    bodies: bodies!.results,
    permissions: permissions!.results,
    devices: devices!.results,
  })
}

// ---- arbitraries shared by the properties -------------------------------------------------------------

/** A valid, canonical identity key (fresh each time; fast-check cannot shrink it, which is fine). */
export const validKey = fc.constant(null).map(() => PrivateKey.fromRandom().toPublicKey().toString())

/** Code points anywhere in Unicode, astral included, as well-formed strings. */
export const wellFormedText = (maxLength = 40) =>
  fc.string({ unit: 'binary', maxLength }).filter((s) => !LONE_SURROGATE.test(s))

/** C0, DEL and C1 control characters (Unicode category Cc). */
export const controlChar = fc
  .integer({ min: 0, max: 0x9f })
  .filter((c) => c < 0x20 || c >= 0x7f)
  .map((c) => String.fromCharCode(c))

/** A lone (unpaired) UTF-16 surrogate. */
export const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c))

/** Text with one lone surrogate inserted somewhere (never paired by its neighbours). */
export const withLoneSurrogate = fc
  .tuple(
    fc.string({ unit: 'grapheme-ascii', maxLength: 20 }),
    loneSurrogate,
    fc.string({ unit: 'grapheme-ascii', maxLength: 20 }),
  )
  .map(([a, s, b]) => a + s + b)

/** Nasty text of every kind: ASCII, full Unicode, graphemes, controls, lone surrogates, and long runs. */
export const nastyText = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: fc.oneof(controlChar, fc.constantFrom(' ', 'a', '\u00e9', '😀')), maxLength: 20 }),
  withLoneSurrogate,
  fc.constantFrom(
    '',
    ' ',
    '\t',
    '\u2028',
    '\u{10ffff}',
    '\ufeff',
    'a'.repeat(129),
    'é'.repeat(65),
    '😀'.repeat(33),
  ),
  fc.nat({ max: 5000 }).map((n) => 'x'.repeat(n)),
)

/** Any JSON value a client could send (deep, with unicode keys and strings). */
export const anyJson = fc.jsonValue({ maxDepth: 3 })

/** A lone surrogate: well-formed UTF-16 has none (`\p{Cs}` with `u` matches only unpaired ones). */
export const LONE_SURROGATE = /\p{Cs}/u

/** The UTF-8 size of well-formed text, measured by encoding it (the oracle the limits are checked against). */
export function utf8Bytes(text: string): number {
  return new TextEncoder().encode(text).length
}
