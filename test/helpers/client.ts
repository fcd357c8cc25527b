import { AuthFetch, CompletedProtoWallet, PrivateKey } from '@bsv/sdk'
import { SELF } from 'cloudflare:test'
import { RELAY_ORIGIN, withTimeout } from './relay'

/** A real BRC-104 client (`AuthFetch` from @bsv/sdk 2.1.0) with its own identity. */
export interface TestClient {
  identityKey: string
  privateKey: PrivateKey
  authFetch: AuthFetch
  /** POSTs `body` as JSON (as message-box-client does), under a timeout. */
  post(path: string, body: unknown): Promise<Response>
  /** Any request through AuthFetch, under a timeout. */
  fetch(path: string, init?: Parameters<AuthFetch['fetch']>[1]): Promise<Response>
}

/** A client with a fresh random key, or the given one (two clients with one key = two sessions). */
export function newClient(privateKey: PrivateKey = PrivateKey.fromRandom()): TestClient {
  const authFetch = routedToWorker(new AuthFetch(new CompletedProtoWallet(privateKey)))
  const fetch = (path: string, init: Parameters<AuthFetch['fetch']>[1] = {}) =>
    withTimeout(authFetch.fetch(RELAY_ORIGIN + path, init), 10_000, `${init.method ?? 'GET'} ${path}`)
  return {
    identityKey: privateKey.toPublicKey().toString(),
    privateKey,
    authFetch,
    fetch,
    post: (path, body) =>
      fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  }
}

type PeerWithTransport = { peer: { transport: { fetchClient: typeof fetch } } }

/**
 * Inside workerd the SDK's transport captured the network `fetch` before any test ran (platform.md
 * gotcha 4), and AuthFetch makes a fresh transport whenever it re-handshakes. Point each new
 * transport's HTTP call at the worker under test (`SELF`) as AuthFetch creates it; the client's
 * protocol code is untouched.
 */
function routedToWorker(authFetch: AuthFetch): AuthFetch {
  authFetch.peers = new Proxy(authFetch.peers, {
    set(peers, origin: string, value: PeerWithTransport) {
      value.peer.transport.fetchClient = (input, init) => SELF.fetch(input as RequestInfo, init)
      return Reflect.set(peers, origin, value)
    },
  })
  return authFetch
}
