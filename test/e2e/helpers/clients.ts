import {
  AuthFetch,
  type CreateActionArgs,
  type CreateActionResult,
  CompletedProtoWallet,
  PrivateKey,
} from '@bsv/sdk'
import { MessageBoxClient } from '@bsv/message-box-client'

/** Every call through AuthFetch 2.1.0 gets one: it hangs forever on a response it cannot verify (gotcha 5). */
export const CALL_TIMEOUT_MS = 20_000

/** Rejects if `promise` has not settled within `ms`, naming `what`. */
export function withTimeout<T>(promise: Promise<T>, what: string, ms = CALL_TIMEOUT_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not settle within ${ms} ms (unverifiable response?)`)),
      ms,
    )
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/**
 * A no-network wallet that "creates" transactions without funds. The batch client pays even when nothing
 * is owed (zero outputs): that gets `tx: []`, as the acceptance wallet answers. A payment with outputs gets
 * a placeholder that is no valid BEEF, enough to see what the relay does with an unverifiable payment.
 * Every request is kept, so tests can see what the client asked its wallet to pay.
 */
export class TestPaymentWallet extends CompletedProtoWallet {
  readonly createdActions: CreateActionArgs[] = []

  // @ts-expect-error CompletedProtoWallet declares createAction without arguments.
  override async createAction(args: CreateActionArgs): Promise<CreateActionResult> {
    this.createdActions.push(args)
    return { tx: (args.outputs ?? []).length === 0 ? [] : [0xde, 0xad, 0xbe, 0xef] }
  }
}

/** A person using the relay: a random key, a no-network wallet on it, and the real client. */
export interface Identity {
  name: string
  identityKey: string
  wallet: TestPaymentWallet
  /** `@bsv/message-box-client` 2.1.1, unmodified, pointed at the relay. */
  client: MessageBoxClient
}

/**
 * A new identity whose MessageBoxClient talks to `host`. `networkPreset: 'local'` keeps the
 * client's overlay lookups (ls_messagebox) on localhost:8080, where nothing answers, so they fail
 * fast and the client falls back to `host`; there is no network here for the mainnet trackers.
 */
export function newIdentity(name: string, host: string): Identity {
  const key = PrivateKey.fromRandom()
  const wallet = new TestPaymentWallet(key)
  return {
    name,
    identityKey: key.toPublicKey().toString(),
    wallet,
    client: new MessageBoxClient({ host, walletClient: wallet, networkPreset: 'local' }),
  }
}

type PeerWithTransport = { peer: { transport: { fetchClient: typeof fetch } } }

/**
 * Makes everything `authFetch` sends come from `ip`, as Cloudflare would say it (`CF-Connecting-IP`; wrangler
 * dev keeps a client's own header). The header is added on the wire by each transport AuthFetch creates,
 * outside what it signs; the client's protocol code is untouched. Returns `authFetch`.
 */
export function fromAddress<T extends AuthFetch>(authFetch: T, ip: string): T {
  const send: typeof fetch = (input, init) => {
    const headers = new Headers(init?.headers)
    headers.set('cf-connecting-ip', ip)
    return fetch(input, { ...init, headers })
  }
  authFetch.peers = new Proxy(authFetch.peers, {
    set(peers, origin: string, value: PeerWithTransport) {
      value.peer.transport.fetchClient = send
      return Reflect.set(peers, origin, value)
    },
  })
  return authFetch
}

/** A plain BRC-104 client (`AuthFetch` from @bsv/sdk) with a random identity. */
export interface PlainClient {
  identityKey: string
  authFetch: AuthFetch
  /** POSTs `body` as JSON and returns status and parsed body, under a timeout. */
  post(path: string, body: unknown): Promise<{ status: number; body: any }>
}

export function newPlainClient(
  host: string,
  key: PrivateKey = PrivateKey.fromRandom(),
  address?: string,
): PlainClient {
  const plain = new AuthFetch(new CompletedProtoWallet(key))
  const authFetch = address === undefined ? plain : fromAddress(plain, address)
  return {
    identityKey: key.toPublicKey().toString(),
    authFetch,
    post: (path, body) => authPost(authFetch, host + path, body),
  }
}

/** One authenticated JSON POST through `authFetch` (e.g. a MessageBoxClient's own), under a timeout. */
export async function authPost(
  authFetch: AuthFetch,
  url: string,
  body: unknown,
): Promise<{ status: number; body: any }> {
  const res = await withTimeout(
    authFetch.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
    `POST ${url}`,
  )
  const text = await res.text()
  let parsed: unknown = text
  try {
    parsed = JSON.parse(text)
  } catch {
    // not JSON: keep the text for the assertion message
  }
  return { status: res.status, body: parsed }
}

/** A short unique message box name, so tests sharing one relay never see each other's messages. */
export function boxName(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 10)}`
}
