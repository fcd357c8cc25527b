/**
 * The relay's real app (`createApp()` from src/app.ts: every middleware, the BRC-33 routes, real D1 and the
 * Mailbox) driven inside the bench worker by clients that sign as AuthFetch does, for the cost counts and
 * for the timed "delivered message" case.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { createApp } from '../../src/app'
import { AuthSigner } from '../../src/crypto/auth-signer'
import { randomBytes, toBase64, toHex } from '../../src/crypto/encoding'
import type { Env } from '../../src/env'
import { ORIGIN, signedPost, type WireRequest } from './signed-request'

const utf8 = new TextEncoder()

export const realApp = createApp()

/** One request through the real app; `waitUntil` work is collected so the caller can wait for it. */
export async function callApp(
  env: Env,
  wire: WireRequest,
  background: Promise<unknown>[],
): Promise<Response> {
  const ctx = {
    waitUntil: (work: Promise<unknown>) => void background.push(work),
    passThroughOnException: () => {},
    props: {},
  } as unknown as ExecutionContext
  const request = new Request(wire.url, { method: 'POST', headers: wire.headers, body: wire.body })
  const response = await realApp.fetch(request, env, ctx)
  return new Response(await response.arrayBuffer(), response)
}

/** A BRC-104 client with a fresh identity that signs its requests as AuthFetch does. */
export class BenchClient {
  private readonly signer = new AuthSigner(randomKeyHex())
  readonly identityKey = this.signer.identityKey
  private serverNonce = ''

  constructor(private readonly serverIdentity: string) {}

  /** The handshake's initialRequest. */
  handshakeRequest(): WireRequest {
    const body = {
      version: '0.1',
      messageType: 'initialRequest',
      identityKey: this.identityKey,
      initialNonce: toBase64(randomBytes(48)),
      requestedCertificates: { certifiers: [], types: {} },
    }
    return {
      url: `${ORIGIN}/.well-known/auth`,
      headers: [['content-type', 'application/json']],
      body: utf8.encode(JSON.stringify(body)),
    }
  }

  /** Opens a session: the server's nonce from its initialResponse. */
  async accept(response: Response): Promise<void> {
    const json = (await response.json()) as { initialNonce?: string }
    if (response.status !== 200 || !json.initialNonce) {
      throw new Error(`handshake failed: ${response.status} ${JSON.stringify(json)}`)
    }
    this.serverNonce = json.initialNonce
  }

  /** A signed POST of `json` to `path` in the current session. */
  post(path: string, json: unknown): Promise<WireRequest> {
    const session = { serverNonce: this.serverNonce, serverIdentity: this.serverIdentity }
    return signedPost(this.signer, session, path, utf8.encode(JSON.stringify(json)))
  }
}

/** A client with an open session (handshake through the app, not counted by anyone). */
export async function connectedClient(env: Env, serverIdentity: string): Promise<BenchClient> {
  const client = new BenchClient(serverIdentity)
  await client.accept(await callApp(env, client.handshakeRequest(), []))
  return client
}

/** What one delivered message is made of: its send, the recipient's list of it, its acknowledgement. */
export async function deliveredMessageRequests(
  sender: BenchClient,
  recipient: BenchClient,
  messageId: string,
  body: string,
): Promise<WireRequest[]> {
  return [
    await sender.post('/sendMessage', {
      message: { recipient: recipient.identityKey, messageBox: 'inbox', messageId, body },
    }),
    await recipient.post('/listMessages', { messageBox: 'inbox' }),
    await recipient.post('/acknowledgeMessage', { messageIds: [messageId] }),
  ]
}

/**
 * Timed case `real-delivered`: n delivered messages (send → list → acknowledge) through the real app
 * between two identities with open sessions, background work (the live push) awaited per batch.
 */
export async function prepareRealDelivered(n: number, env: Env, serverIdentity: string) {
  const sender = await connectedClient(env, serverIdentity)
  const recipient = await connectedClient(env, serverIdentity)
  const requests: WireRequest[] = []
  for (let i = 0; i < n; i++) {
    requests.push(...(await deliveredMessageRequests(sender, recipient, `timed-${i}`, MESSAGE_BODY)))
  }
  return async (): Promise<number> => {
    const background: Promise<unknown>[] = []
    let ok = 0
    for (let i = 0; i < requests.length; i += 3) {
      let statuses = 0
      for (const wire of requests.slice(i, i + 3)) {
        if ((await callApp(env, wire, background)).status === 200) statuses++
      }
      if (statuses === 3) ok++
    }
    await Promise.all(background)
    return ok
  }
}

/** The body of every message the bench sends (100 bytes of ASCII). */
export const MESSAGE_BODY = 'x'.repeat(100)

function randomKeyHex(): string {
  return toHex(secp256k1.utils.randomSecretKey())
}
