/**
 * Bench worker (scripts/bench/run.mjs starts it with `wrangler dev`; never deployed).
 *
 * workerd's clocks do not advance during pure CPU work, so nothing is timed in here: the driver
 * prepares a batch (`/bench/prepare`), then times one `/bench/run` invocation that executes the
 * whole batch, from outside (wall clock and workerd's own CPU time from /proc).
 *
 * Cases (per iteration):
 * - `ours-*`: a real request through the relay's own app (`createApp`: requestLog → cors → allowedMethods →
 *   serverKey → requestScope → rawBody → brc104Auth, one Mailbox DO claim), answered by a stub route so no route
 *   or D1 work is counted.
 * - `signer-*`: only our AuthSigner's verify + sign of the same preimages (no framework).
 * - `floor-*`: the same elliptic-curve work written directly against @noble/curves' public API.
 * - `baseline-*`: the Express reference's way, a long-lived @bsv/sdk `Peer` over a ProtoWallet
 *   (verifyNonce + verifySignature per request, createSignature per response, createNonce per handshake).
 * - `real-delivered`: one delivered message (send → list → acknowledge) through the real app, real D1 and
 *   Mailbox (real-app.ts).
 *
 * `/bench/costs` counts what each relay operation is billed for, through the real app with metered
 * bindings (operation-costs.ts); it times nothing.
 */
import {
  CompletedProtoWallet,
  Peer,
  PrivateKey,
  ProtoWallet,
  Utils,
  createNonce,
  verifyNonce,
  type AuthMessage,
  type Transport,
} from '@bsv/sdk'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { ecdsa } from '@noble/curves/abstract/weierstrass.js'
import { Hono } from 'hono'
import { AuthSigner } from '../../src/crypto/auth-signer'
import { randomBytes, toBase64, toHex } from '../../src/crypto/encoding'
import { loadServerKey } from '../../src/crypto/server-key'
import type { Env } from '../../src/env'
import type { AppEnv } from '../../src/http/context'
import { createApp } from '../../src/app'
import {
  requestPreimage,
  responsePreimage,
  signedRequestHeaders,
} from '../../src/middleware/brc104-auth/payload'
import { cors } from '../../src/middleware/cors'
import { rawBody } from '../../src/middleware/raw-body'
import { requestScope } from '../../src/middleware/request-scope'
import { serverKey } from '../../src/middleware/server-key'
import { mailbox } from '../../src/objects/stubs'
import { parseAuthHeaders } from '../../src/middleware/brc104-auth/auth-headers'
import { createServerNonce, isServerNonce } from '../../src/brc103/server-nonce'
import { signResponse } from '../../src/middleware/brc104-auth/sign-response'
import type { ServerKey } from '../../src/crypto/server-key'
import type { BenchEnv } from './metering'
import { measureCosts } from './operation-costs'
import { prepareRealDelivered } from './real-app'
import { ORIGIN, signedPost, type WireRequest } from './signed-request'

export { LiveConnection } from '../../src/objects/live-connection'
export { Mailbox } from '../../src/objects/mailbox'
export { CountedLiveConnection, CountedMailbox } from './counted-objects'

const AUTH_PROTOCOL: [2, string] = [2, 'auth message signature']
const utf8 = new TextEncoder()
const LIST_RESPONSE = { status: 'success', messages: [] as unknown[] }

/**
 * The production app (`createApp`: every middleware in production order, request ids and error rendering
 * included) with stub routes instead of the BRC-33 ones, so only the request path is measured.
 */
function benchApp() {
  const stubs = new Hono<AppEnv>()
    .post('/listMessages', (c) => c.json(LIST_RESPONSE))
    .post('/sendMessage', (c) => c.json({ status: 'success', messageId: 'bench' }))
  return createApp(stubs)
}
const app = benchApp()

type Size = 'small' | '64k'
/** The first unexpected response of a run, reported back so a broken case is loud, not fast. */
let firstFailure: string | undefined
async function expectStatus(res: Response, status: number, signed: boolean): Promise<number> {
  const body = await res.text()
  if (res.status === status && (!signed || res.headers.has('x-bsv-auth-signature'))) return 1
  firstFailure ??= `${res.status} ${body.slice(0, 300)}`
  return 0
}
type Runner = () => Promise<number>
/** Prepared batches, kept in isolate memory between `/bench/prepare` and `/bench/run`. */
const prepared = new Map<string, Runner>()

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url)
    try {
      if (url.pathname === '/bench/ping') return Response.json({ ok: true })
      if (url.pathname === '/bench/key') {
        // The first call in an isolate builds the server key (noble's base-point table included).
        const key = await loadServerKey(env.SERVER_PRIVATE_KEY)
        return Response.json({ identityKey: key.identityKey })
      }
      if (url.pathname === '/bench/costs') {
        // Billed operations per relay operation, counted through the real app (operation-costs.ts).
        const key = await loadServerKey(env.SERVER_PRIVATE_KEY)
        return Response.json(await measureCosts(env as BenchEnv, key.identityKey))
      }
      const name = url.searchParams.get('case') ?? ''
      if (url.pathname === '/bench/prepare') {
        const n = Number(url.searchParams.get('n') ?? '1')
        prepared.set(name, await prepare(name, n, env, ctx))
        return Response.json({ prepared: name, n })
      }
      if (url.pathname === '/bench/run') {
        const run = prepared.get(name)
        if (!run) return Response.json({ error: `case ${name} not prepared` }, { status: 400 })
        prepared.delete(name)
        firstFailure = undefined
        const ok = await run()
        return Response.json({ case: name, ok, firstFailure })
      }
      return app.fetch(request, env, ctx)
    } catch (error) {
      return Response.json({ error: String((error as Error)?.stack ?? error) }, { status: 500 })
    }
  },
}

async function prepare(name: string, n: number, env: Env, ctx: ExecutionContext): Promise<Runner> {
  const key = await loadServerKey(env.SERVER_PRIVATE_KEY)
  const size: Size = name.endsWith('64k') ? '64k' : 'small'
  switch (name) {
    case 'noop':
      return async () => {
        let ok = 0
        for (let i = 0; i < n; i++) ok += (await Promise.resolve(1)) as number
        return ok
      }
    case 'ours-general-small':
    case 'ours-general-64k':
      return prepareOursGeneral(n, size, env, ctx, key.identityKey)
    case 'ours-handshake-new':
      return prepareOursHandshake(n, env, ctx, false)
    case 'ours-handshake-returning':
      return prepareOursHandshake(n, env, ctx, true)
    case 'real-delivered':
      return prepareRealDelivered(n, env, key.identityKey)
    case 'signer-general-small':
    case 'signer-general-64k':
      return prepareSignerGeneral(n, size, key.signer, key.identityKey)
    case 'floor-general-small':
    case 'floor-general-64k':
      return prepareFloorGeneral(n, size, env.SERVER_PRIVATE_KEY!)
    case 'floor-handshake':
      return prepareFloorHandshake(n, env.SERVER_PRIVATE_KEY!)
    case 'baseline-general-small':
    case 'baseline-general-64k':
      return prepareBaselineGeneral(n, size, env.SERVER_PRIVATE_KEY!)
    case 'baseline-handshake':
      return prepareBaselineHandshake(n, env.SERVER_PRIVATE_KEY!)
    case 'baseline-fresh-wallet-small':
      return prepareBaselineFreshWallet(n, env.SERVER_PRIVATE_KEY!)
    default:
      if (name.startsWith('diag-')) return prepareDiagnostic(name, n, env, ctx, key)
      throw new Error(`unknown case ${name}`)
  }
}

// ---- request shapes ------------------------------------------------------------------------------

/** A listMessages-sized request, or a sendMessage carrying a 64 KiB message body. */
function requestShape(size: Size): { path: string; body: Uint8Array; response: Uint8Array } {
  if (size === 'small') {
    return {
      path: '/listMessages',
      body: utf8.encode(JSON.stringify({ messageBox: 'inbox' })),
      response: utf8.encode(JSON.stringify(LIST_RESPONSE)),
    }
  }
  const message = {
    recipient: '02' + 'ab'.repeat(32),
    messageBox: 'inbox',
    messageId: 'bench-64k',
    body: 'x'.repeat(64 * 1024),
  }
  return {
    path: '/sendMessage',
    body: utf8.encode(JSON.stringify({ message })),
    response: utf8.encode(JSON.stringify({ status: 'success', messageId: 'bench' })),
  }
}

function randomKeyHex(): string {
  for (;;) {
    const hex = toHex(randomBytes(32))
    const k = BigInt('0x' + hex)
    if (k > 0n && k < secp256k1.Point.Fn.ORDER) return hex
  }
}

// ---- ours: the real middleware chain --------------------------------------------------------------

async function handshakeThroughApp(env: Env, ctx: ExecutionContext, clientKey: string, clientNonce: string) {
  const res = await app.fetch(
    new Request(`${ORIGIN}/.well-known/auth`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        version: '0.1',
        messageType: 'initialRequest',
        identityKey: clientKey,
        initialNonce: clientNonce,
        requestedCertificates: { certifiers: [], types: {} },
      }),
    }),
    env,
    ctx,
  )
  const json = (await res.json()) as { initialNonce?: string }
  if (res.status !== 200 || !json.initialNonce)
    throw new Error(`handshake failed: ${res.status} ${JSON.stringify(json)}`)
  return json.initialNonce
}

async function prepareOursGeneral(
  n: number,
  size: Size,
  env: Env,
  ctx: ExecutionContext,
  serverIdentity: string,
) {
  const client = new AuthSigner(randomKeyHex())
  const serverNonce = await handshakeThroughApp(env, ctx, client.identityKey, toBase64(randomBytes(48)))
  const shape = requestShape(size)
  // Request objects (their body streams) belong to the invocation that made them: keep plain data
  // here and build each Request inside the timed run, as workerd does for an incoming request.
  const requests: WireRequest[] = []
  for (let i = 0; i < n; i++) {
    requests.push(await signedPost(client, { serverNonce, serverIdentity }, shape.path, shape.body))
  }
  return async () => {
    let ok = 0
    for (const { url, headers, body } of requests) {
      const request = new Request(url, { method: 'POST', headers, body })
      ok += await expectStatus(await app.fetch(request, env, ctx), 200, true)
    }
    return ok
  }
}

async function prepareOursHandshake(n: number, env: Env, ctx: ExecutionContext, returning: boolean) {
  const returningKey = new AuthSigner(randomKeyHex()).identityKey
  if (returning) await handshakeThroughApp(env, ctx, returningKey, toBase64(randomBytes(48)))
  const bodies: string[] = []
  for (let i = 0; i < n; i++) {
    const identityKey = returning ? returningKey : new AuthSigner(randomKeyHex()).identityKey
    bodies.push(
      JSON.stringify({
        version: '0.1',
        messageType: 'initialRequest',
        identityKey,
        initialNonce: toBase64(randomBytes(48)),
        requestedCertificates: { certifiers: [], types: {} },
      }),
    )
  }
  return async () => {
    let ok = 0
    for (const body of bodies) {
      const request = new Request(`${ORIGIN}/.well-known/auth`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      })
      ok += await expectStatus(await app.fetch(request, env, ctx), 200, false)
    }
    return ok
  }
}

// ---- our signer alone -------------------------------------------------------------------------------

interface SignedBatchItem {
  preimage: Uint8Array
  signature: Uint8Array
  keyID: string
  responsePreimage: Uint8Array
  responseKeyID: string
}

async function signedBatch(
  n: number,
  size: Size,
  client: AuthSigner,
  serverIdentity: string,
): Promise<SignedBatchItem[]> {
  const shape = requestShape(size)
  const serverNonce = toBase64(randomBytes(48))
  const clientNonce = toBase64(randomBytes(48))
  const items: SignedBatchItem[] = []
  for (let i = 0; i < n; i++) {
    const requestId = randomBytes(32)
    const keyID = `${toBase64(randomBytes(32))} ${serverNonce}`
    const preimage = requestPreimage({
      requestId,
      method: 'POST',
      path: shape.path,
      search: '',
      headers: [['content-type', 'application/json']],
      body: shape.body,
    })
    items.push({
      preimage,
      signature: await client.sign(preimage, keyID, serverIdentity),
      keyID,
      responsePreimage: responsePreimage({ requestId, status: 200, headers: [], body: shape.response }),
      responseKeyID: `${toBase64(randomBytes(32))} ${clientNonce}`,
    })
  }
  return items
}

async function prepareSignerGeneral(n: number, size: Size, signer: AuthSigner, serverIdentity: string) {
  const client = new AuthSigner(randomKeyHex())
  const items = await signedBatch(n, size, client, serverIdentity)
  // Warm the per-peer cache, as the handshake does in production.
  await signer.sign(utf8.encode('warm'), 'warm', client.identityKey)
  return async () => {
    let ok = 0
    for (const item of items) {
      if (!(await signer.verify(item.preimage, item.signature, item.keyID, client.identityKey))) continue
      await signer.sign(item.responsePreimage, item.responseKeyID, client.identityKey)
      ok++
    }
    return ok
  }
}

// ---- the floor: @noble/curves' public API, nothing around it ---------------------------------------------

const { Point } = secp256k1
const Fn = Point.Fn

async function hmacScalar(hmacKey: CryptoKey, keyID: string): Promise<bigint> {
  const mac = new Uint8Array(
    await crypto.subtle.sign('HMAC', hmacKey, utf8.encode('2-auth message signature-' + keyID)),
  )
  return Fn.create(BigInt('0x' + toHex(mac)))
}

async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', data))
}

async function prepareFloorGeneral(n: number, size: Size, serverKeyHex: string) {
  const sk = BigInt('0x' + serverKeyHex)
  const serverIdentity = Point.BASE.multiply(sk).toHex(true)
  const client = new AuthSigner(randomKeyHex())
  const items = await signedBatch(n, size, client, serverIdentity)
  // The per-peer ECDH secret is cached (computed once, outside the timed loop), as in ours.
  const clientPoint = Point.fromHex(client.identityKey)
  const shared = clientPoint.multiply(sk).toBytes(true)
  const hmacKey = await crypto.subtle.importKey('raw', shared, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ])
  return async () => {
    let ok = 0
    for (const item of items) {
      // verify: childPub = PK + h·G, ECDSA verify over SHA-256(preimage)
      const h = await hmacScalar(hmacKey, item.keyID)
      const childPub = clientPoint.add(Point.BASE.multiply(h)).toBytes(true)
      const digest = await sha256(item.preimage)
      if (!secp256k1.verify(item.signature, digest, childPub, { prehash: false, lowS: false, format: 'der' }))
        continue
      // sign: childPriv = sk + h' mod n, ECDSA (RFC 6979, low-S) over SHA-256(response preimage), DER
      const h2 = await hmacScalar(hmacKey, item.responseKeyID)
      const childPriv = Fn.toBytes(Fn.create(sk + h2))
      secp256k1.sign(await sha256(item.responsePreimage), childPriv, { prehash: false, format: 'der' })
      ok++
    }
    return ok
  }
}

async function prepareFloorHandshake(n: number, serverKeyHex: string) {
  const sk = BigInt('0x' + serverKeyHex)
  const jobs: Array<{ client: string; data: Uint8Array; keyID: string }> = []
  for (let i = 0; i < n; i++) {
    const clientNonce = toBase64(randomBytes(48))
    const serverNonce = toBase64(randomBytes(48))
    jobs.push({
      client: new AuthSigner(randomKeyHex()).identityKey,
      data: randomBytes(96),
      keyID: `${clientNonce} ${serverNonce}`,
    })
  }
  return async () => {
    let ok = 0
    for (const job of jobs) {
      // A new peer: ECDH, then the child key and one signature.
      const shared = Point.fromHex(job.client).multiply(sk).toBytes(true)
      const hmacKey = await crypto.subtle.importKey('raw', shared, { name: 'HMAC', hash: 'SHA-256' }, false, [
        'sign',
      ])
      const h = await hmacScalar(hmacKey, job.keyID)
      secp256k1.sign(await sha256(job.data), Fn.toBytes(Fn.create(sk + h)), { prehash: false, format: 'der' })
      ok++
    }
    return ok
  }
}

// ---- the baseline: the Express reference's way, @bsv/sdk Peer + ProtoWallet ---------------------------

/** The in-memory side of a Peer: messages in by `deliver`, the Peer's replies collected. */
class MemoryTransport implements Transport {
  private handler?: (message: AuthMessage) => Promise<void>
  sent: AuthMessage[] = []
  async send(message: AuthMessage): Promise<void> {
    this.sent.push(message)
  }
  async onData(callback: (message: AuthMessage) => Promise<void>): Promise<void> {
    this.handler = callback
  }
  deliver(message: AuthMessage): Promise<void> {
    return this.handler!(message)
  }
}

interface BaselineServer {
  transport: MemoryTransport
  peer: Peer
  identityKey: string
  /** Responses the app callback started (toPeer signs and sends them). */
  pending: Promise<void>[]
}

const baselineServers = new Map<string, BaselineServer>()

/** One long-lived Peer per isolate, as the Express middleware keeps one per process; its handler answers every general message. */
function baselineServer(serverKeyHex: string, responseFor: (payload: number[]) => number[]): BaselineServer {
  const transport = new MemoryTransport()
  const wallet = new CompletedProtoWallet(new PrivateKey(serverKeyHex, 16))
  const peer = new Peer(wallet, transport)
  const server: BaselineServer = {
    transport,
    peer,
    identityKey: new PrivateKey(serverKeyHex, 16).toPublicKey().toString(),
    pending: [],
  }
  peer.listenForGeneralMessages((sender, payload) => {
    server.pending.push(peer.toPeer(responseFor(payload), sender))
  })
  return server
}

async function baselineHandshake(server: BaselineServer, clientWallet: ProtoWallet, clientKey: string) {
  const initialNonce = await createNonce(clientWallet as CompletedProtoWallet)
  await server.transport.deliver({
    version: '0.1',
    messageType: 'initialRequest',
    identityKey: clientKey,
    initialNonce,
    requestedCertificates: { certifiers: [], types: {} },
  })
  const reply = server.transport.sent.pop()
  if (reply?.messageType !== 'initialResponse' || !reply.initialNonce)
    throw new Error('baseline handshake failed')
  return reply.initialNonce
}

/** The response payload as the Express transport serializes it (request id, status, headers, body). */
function expressResponsePayload(requestId: number[], body: Uint8Array): number[] {
  const writer = new Utils.Writer()
  writer.write(requestId)
  writer.writeVarIntNum(200)
  writer.writeVarIntNum(0)
  writer.writeVarIntNum(body.length)
  writer.write(Array.from(body))
  return writer.toArray()
}

/** A general request as an SDK client signs it for the baseline cases: preimage bytes, keyID and signature. */
async function baselineClientRequest(
  clientWallet: ProtoWallet,
  shape: ReturnType<typeof requestShape>,
  serverNonce: string,
  serverIdentity: string,
) {
  const requestId = randomBytes(32)
  const nonce = toBase64(randomBytes(32))
  const keyID = `${nonce} ${serverNonce}`
  const payload = Array.from(
    requestPreimage({
      requestId,
      method: 'POST',
      path: shape.path,
      search: '',
      headers: [['content-type', 'application/json']],
      body: shape.body,
    }),
  )
  const { signature } = await clientWallet.createSignature({
    data: payload,
    protocolID: AUTH_PROTOCOL,
    keyID,
    counterparty: serverIdentity,
  })
  return { requestId, nonce, keyID, payload, signature }
}

async function prepareBaselineGeneral(n: number, size: Size, serverKeyHex: string) {
  const shape = requestShape(size)
  const cacheKey = `${serverKeyHex}:${size}`
  let server = baselineServers.get(cacheKey)
  if (!server) {
    server = baselineServer(serverKeyHex, (payload) =>
      expressResponsePayload(payload.slice(0, 32), shape.response),
    )
    baselineServers.set(cacheKey, server)
  }
  const clientPrivate = PrivateKey.fromRandom()
  const clientWallet = new ProtoWallet(clientPrivate)
  const clientKey = clientPrivate.toPublicKey().toString()
  const serverNonce = await baselineHandshake(server, clientWallet, clientKey)
  const messages: AuthMessage[] = []
  for (let i = 0; i < n; i++) {
    const { nonce, payload, signature } = await baselineClientRequest(
      clientWallet,
      shape,
      serverNonce,
      server.identityKey,
    )
    messages.push({
      version: '0.1',
      messageType: 'general',
      identityKey: clientKey,
      nonce,
      yourNonce: serverNonce,
      payload,
      signature,
    })
  }
  const target = server
  return async () => {
    let ok = 0
    for (const message of messages) {
      // The Express transport rebuilds the payload from the HTTP request; that part is not counted here.
      await target.transport.deliver(message)
      await Promise.all(target.pending.splice(0))
      if (target.transport.sent.pop()?.messageType === 'general') ok++
    }
    return ok
  }
}

/**
 * The naive Workers port of the reference: a new ProtoWallet per request (nothing survives between
 * requests), then what Peer does: verifyNonce(S), verifySignature, createSignature for the response.
 */
async function prepareBaselineFreshWallet(n: number, serverKeyHex: string) {
  const shape = requestShape('small')
  const serverKey = new PrivateKey(serverKeyHex, 16)
  const serverIdentity = serverKey.toPublicKey().toString()
  const serverNonce = await createNonce(new CompletedProtoWallet(serverKey))
  const clientPrivate = PrivateKey.fromRandom()
  const clientWallet = new ProtoWallet(clientPrivate)
  const clientKey = clientPrivate.toPublicKey().toString()
  const clientNonce = toBase64(randomBytes(48))
  const jobs: Array<{ payload: number[]; signature: number[]; keyID: string; requestId: number[] }> = []
  for (let i = 0; i < n; i++) {
    const { requestId, keyID, payload, signature } = await baselineClientRequest(
      clientWallet,
      shape,
      serverNonce,
      serverIdentity,
    )
    jobs.push({ payload, signature, keyID, requestId: Array.from(requestId) })
  }
  return async () => {
    let ok = 0
    for (const job of jobs) {
      const wallet = new CompletedProtoWallet(new PrivateKey(serverKeyHex, 16))
      if (!(await verifyNonce(serverNonce, wallet))) continue
      const { valid } = await wallet.verifySignature({
        data: job.payload,
        signature: job.signature,
        protocolID: AUTH_PROTOCOL,
        keyID: job.keyID,
        counterparty: clientKey,
      })
      if (!valid) continue
      await wallet.createSignature({
        data: expressResponsePayload(job.requestId, shape.response),
        protocolID: AUTH_PROTOCOL,
        keyID: `${toBase64(randomBytes(32))} ${clientNonce}`,
        counterparty: clientKey,
      })
      ok++
    }
    return ok
  }
}

async function prepareBaselineHandshake(n: number, serverKeyHex: string) {
  const cacheKey = `${serverKeyHex}:handshake`
  let server = baselineServers.get(cacheKey)
  if (!server) {
    server = baselineServer(serverKeyHex, () => [])
    baselineServers.set(cacheKey, server)
  }
  const requests: AuthMessage[] = []
  for (let i = 0; i < n; i++) {
    const clientPrivate = PrivateKey.fromRandom()
    requests.push({
      version: '0.1',
      messageType: 'initialRequest',
      identityKey: clientPrivate.toPublicKey().toString(),
      initialNonce: await createNonce(new CompletedProtoWallet(clientPrivate)),
      requestedCertificates: { certifiers: [], types: {} },
    })
  }
  const target = server
  return async () => {
    let ok = 0
    for (const message of requests) {
      await target.transport.deliver(message)
      if (target.transport.sent.pop()?.messageType === 'initialResponse') ok++
    }
    return ok
  }
}

// ---- diagnostics (`run.mjs --diag`): where the time of one request goes ----------------------------

/**
 * `env` with the MAILBOX namespace replaced by an in-memory session store: the same app and middleware,
 * minus the Durable Object round trip (and the DO's own CPU), to show the Worker's share.
 */
function withoutDurableObject(env: Env): Env {
  const sessions = new Map<string, string>()
  const claimed = new Set<string>()
  const store = {
    async openSession(_identityKey: string, serverNonce: string, clientNonce: string): Promise<void> {
      sessions.set(serverNonce, clientNonce)
    },
    async claimRequest(_identityKey: string, serverNonce: string, nonce: string) {
      const clientNonce = sessions.get(serverNonce)
      if (!clientNonce) return { ok: false as const, reason: 'session-not-found' as const }
      if (claimed.has(serverNonce + nonce)) return { ok: false as const, reason: 'replayed' as const }
      claimed.add(serverNonce + nonce)
      return { ok: true as const, clientNonce }
    },
  }
  return { ...env, MAILBOX: { getByName: () => store } as unknown as Env['MAILBOX'] }
}

/** The chain without BRC-104 at all: the framework's own cost per request. */
const noAuthApp = (() => {
  const app = new Hono<AppEnv>()
  app.use(cors)
  app.use(serverKey)
  app.use(requestScope)
  app.use(rawBody)
  app.post('/listMessages', (c) => c.json(LIST_RESPONSE))
  return app
})()

async function prepareDiagnostic(
  name: string,
  n: number,
  env: Env,
  ctx: ExecutionContext,
  key: ServerKey,
): Promise<Runner> {
  const client = new AuthSigner(randomKeyHex())
  await key.signer.sign(utf8.encode('warm'), 'warm', client.identityKey)
  const items = await signedBatch(n, name.endsWith('64k') ? '64k' : 'small', client, key.identityKey)
  const clientPoint = Point.fromHex(client.identityKey)
  const scalars = items.map((item) => Fn.create(BigInt('0x' + toHex(item.signature.subarray(8, 40)))))
  const loop =
    (body: (i: number) => Promise<unknown> | unknown): Runner =>
    async () => {
      for (let i = 0; i < n; i++) await body(i)
      return n
    }
  switch (name) {
    case 'diag-verify':
      return loop((i) =>
        key.signer.verify(items[i]!.preimage, items[i]!.signature, items[i]!.keyID, client.identityKey),
      )
    case 'diag-sign':
      return loop((i) =>
        key.signer.sign(items[i]!.responsePreimage, items[i]!.responseKeyID, client.identityKey),
      )
    case 'diag-sha256-64k':
      return loop((i) => sha256(items[i]!.preimage))
    case 'diag-hmac': {
      const hmacKey = await crypto.subtle.importKey(
        'raw',
        randomBytes(33),
        { name: 'HMAC', hash: 'SHA-256' },
        false,
        ['sign'],
      )
      return loop((i) => hmacScalar(hmacKey, items[i]!.keyID))
    }
    case 'diag-g-multiply':
      return loop((i) => Point.BASE.multiply(scalars[i]!))
    case 'diag-g-multiply-unsafe':
      return loop((i) => Point.BASE.multiplyUnsafe(scalars[i]!))
    case 'diag-p-multiply-unsafe':
      return loop((i) => clientPoint.multiplyUnsafe(scalars[i]!))
    case 'diag-p-muladd':
      return loop((i) => Point.BASE.mulAddUnsafe(scalars[i]!, clientPoint, scalars[(i + 1) % n]!))
    case 'diag-p-precomputed': {
      const table = Point.fromHex(client.identityKey).precompute(4, false)
      return loop((i) => table.multiplyUnsafe(scalars[i]!))
    }
    case 'diag-p-precompute-build': {
      const points = items.map(() => Point.fromHex(new AuthSigner(randomKeyHex()).identityKey))
      return loop((i) => points[i]!.precompute(4, false))
    }
    case 'diag-auth-parsing-small': {
      // verifyRequest's non-crypto steps: header checks, the MAC of S, URL, signed headers, preimage.
      const serverNonce = await createServerNonce(key.nonceKey, client.identityKey)
      const shape = requestShape('small')
      const headers: Array<[string, string]> = [
        ['content-type', 'application/json'],
        ['x-bsv-auth-version', '0.1'],
        ['x-bsv-auth-identity-key', client.identityKey],
        ['x-bsv-auth-nonce', toBase64(randomBytes(32))],
        ['x-bsv-auth-your-nonce', serverNonce],
        ['x-bsv-auth-signature', toHex(items[0]!.signature)],
        ['x-bsv-auth-request-id', toBase64(randomBytes(32))],
      ]
      return loop(async () => {
        const request = new Request(ORIGIN + shape.path, { method: 'POST', headers, body: shape.body })
        const auth = parseAuthHeaders(request.headers)
        if (!(await isServerNonce(key.nonceKey, auth.serverNonce, client.identityKey)))
          throw new Error('bad S')
        const url = new URL(request.url)
        return requestPreimage({
          requestId: auth.requestId,
          method: request.method,
          path: url.pathname,
          search: url.search,
          headers: signedRequestHeaders(request.headers),
          body: shape.body,
        })
      })
    }
    case 'diag-sign-response-small': {
      // signResponse as the middleware calls it (includes one signature: compare with diag-sign).
      const verified = {
        identityKey: client.identityKey,
        clientNonce: toBase64(randomBytes(48)),
        requestIdBase64: toBase64(randomBytes(32)),
        requestId: randomBytes(32),
        rateLimited: null,
      }
      return loop(async () => {
        const res = await signResponse(Response.json(LIST_RESPONSE), verified, key)
        return res.arrayBuffer()
      })
    }
    case 'diag-app-no-auth-small':
    case 'diag-request-only-small': {
      const shape = requestShape('small')
      const headers: Array<[string, string]> = [['content-type', 'application/json']]
      for (const name of ['version', 'identity-key', 'nonce', 'your-nonce', 'signature', 'request-id']) {
        headers.push([`x-bsv-auth-${name}`, 'x'.repeat(60)])
      }
      const bare = name === 'diag-request-only-small'
      return loop(async () => {
        const request = new Request(ORIGIN + shape.path, { method: 'POST', headers, body: shape.body })
        if (bare) return request.arrayBuffer()
        const res = await noAuthApp.fetch(request, env, ctx)
        return res.arrayBuffer()
      })
    }
    case 'diag-noble-sign-request-built': {
      // An ECDSA instance built inside a request (CSPRNG available: nonce-inversion blinding on).
      const curve = ecdsa(Point, (secp256k1 as unknown as { hash: Parameters<typeof ecdsa>[1] }).hash)
      return loop((i) =>
        curve.sign(items[i]!.preimage.subarray(0, 32), Fn.toBytes(scalars[i]!), {
          prehash: false,
          format: 'der',
        }),
      )
    }
    case 'diag-noble-sign-module':
      return loop((i) =>
        secp256k1.sign(items[i]!.preimage.subarray(0, 32), Fn.toBytes(scalars[i]!), {
          prehash: false,
          format: 'der',
        }),
      )
    case 'diag-noble-verify': {
      const sk = randomBytes(32)
      const pk = secp256k1.getPublicKey(sk)
      const sigs = items.map((item) =>
        secp256k1.sign(item.preimage.subarray(0, 32), sk, { prehash: false, format: 'der' }),
      )
      return loop((i) =>
        secp256k1.verify(sigs[i]!, items[i]!.preimage.subarray(0, 32), pk, {
          prehash: false,
          format: 'der',
          lowS: false,
        }),
      )
    }
    case 'diag-do-claim': {
      const identity = client.identityKey
      const serverNonce = await handshakeThroughApp(env, ctx, identity, toBase64(randomBytes(48)))
      const nonces = items.map(() => toBase64(randomBytes(32)))
      return loop((i) => mailbox(env, identity).claimRequest(identity, serverNonce, nonces[i]!))
    }
    case 'diag-mw-no-do-small':
      return prepareOursGeneral(n, 'small', withoutDurableObject(env), ctx, key.identityKey)
    case 'diag-mw-no-do-64k':
      return prepareOursGeneral(n, '64k', withoutDurableObject(env), ctx, key.identityKey)
    case 'diag-handshake-new-no-do':
      return prepareOursHandshake(n, withoutDurableObject(env), ctx, false)
    default:
      throw new Error(`unknown case ${name}`)
  }
}
