import { AuthFetch, CompletedProtoWallet, PrivateKey } from '@bsv/sdk'
import { SELF } from 'cloudflare:test'
import { RELAY_ORIGIN, withTimeout } from './relay'

/** Where a client's HTTP goes: the worker under test (`SELF`) or a throwaway app's `app.request`. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>

/** A request as the client's transport put it on the wire, for replay and tamper tests. */
export interface SentRequest {
  url: string
  method: string
  headers: Record<string, string>
  body: string | undefined
}

/** A real BRC-104 client (`AuthFetch` from @bsv/sdk 2.1.0) with its own identity. */
export interface TestClient {
  identityKey: string
  privateKey: PrivateKey
  authFetch: AuthFetch
  /** Every HTTP request the client sent, handshakes included, oldest first. */
  sent: SentRequest[]
  /** POSTs `body` as JSON (as message-box-client does), under a timeout. */
  post(path: string, body: unknown): Promise<Response>
  /** Any request through AuthFetch, under a timeout. */
  fetch(path: string, init?: Parameters<AuthFetch['fetch']>[1]): Promise<Response>
}

export interface ClientOptions {
  /** Defaults to a fresh random key; pass one to make a second session for the same identity. */
  privateKey?: PrivateKey
  /** Defaults to the worker under test. */
  fetch?: FetchLike
}

const toSELF: FetchLike = (input, init) => SELF.fetch(input, init)

/**
 * Requests that come from `ip`, as Cloudflare says it (`CF-Connecting-IP`): what the per-IP limits and the
 * network quotas count. The header is added on the wire, outside what AuthFetch signs.
 */
export function fromAddress(ip: string, target: FetchLike = toSELF): FetchLike {
  return (input, init) =>
    target(input, {
      ...init,
      headers: { ...Object.fromEntries(new Headers(init.headers)), 'cf-connecting-ip': ip },
    })
}

/** A client with its own transport log; every call is under a timeout (AuthFetch 2.1.0 can hang). */
export function newClient(options: ClientOptions = {}): TestClient {
  const privateKey = options.privateKey ?? PrivateKey.fromRandom()
  const sent: SentRequest[] = []
  const target = options.fetch ?? toSELF
  const recordingFetch: FetchLike = (input, init) => {
    sent.push({
      url: input,
      method: init.method ?? 'GET',
      headers: Object.fromEntries(new Headers(init.headers)),
      body: init.body === undefined || init.body === null ? undefined : String(init.body),
    })
    return target(input, init)
  }
  const authFetch = routedTo(new AuthFetch(new CompletedProtoWallet(privateKey)), recordingFetch)
  const fetch = (path: string, init: Parameters<AuthFetch['fetch']>[1] = {}) =>
    withTimeout(authFetch.fetch(RELAY_ORIGIN + path, init), 10_000, `${init.method ?? 'GET'} ${path}`)
  return {
    identityKey: privateKey.toPublicKey().toString(),
    privateKey,
    authFetch,
    sent,
    fetch,
    post: (path, body) =>
      fetch(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
  }
}

type PeerWithTransport = { peer: { transport: { fetchClient: FetchLike } } }

/**
 * Inside workerd the SDK's transport captured the network `fetch` before any test ran (docs/platform.md
 * gotcha 4), and AuthFetch makes a fresh transport whenever it re-handshakes. Point each new
 * transport's HTTP call at `target` as AuthFetch creates it; the client's protocol code is untouched.
 */
function routedTo(authFetch: AuthFetch, target: FetchLike): AuthFetch {
  authFetch.peers = new Proxy(authFetch.peers, {
    set(peers, origin: string, value: PeerWithTransport) {
      value.peer.transport.fetchClient = target
      return Reflect.set(peers, origin, value)
    },
  })
  return authFetch
}

/** The last general (non-handshake) request a client sent. */
export function lastGeneralRequest(client: TestClient): SentRequest {
  const request = client.sent.findLast((r) => !r.url.endsWith('/.well-known/auth'))
  if (!request) throw new Error('the client has sent no general request')
  return request
}

/** Resends a captured request byte for byte, optionally changed, through `target`. */
export function resend(
  request: SentRequest,
  change: Partial<SentRequest> = {},
  target: FetchLike = toSELF,
): Promise<Response> {
  const r = { ...request, ...change }
  return target(r.url, { method: r.method, headers: r.headers, body: r.body })
}
