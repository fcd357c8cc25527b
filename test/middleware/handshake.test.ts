import { CompletedProtoWallet, PrivateKey, Utils } from '@bsv/sdk'
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { loadServerKey } from '../../src/crypto/server-key'
import { isServerNonce } from '../../src/brc103/server-nonce'
import { inMailbox, sessionsOf as storeOf } from '../helpers/mailbox'
import { probeApp } from '../helpers/probe-app'
import { rawHandshake } from '../helpers/raw-client'
import { RELAY_ORIGIN, TEST_SERVER_IDENTITY_KEY } from '../helpers/relay'

const AUTH: [2, string] = [2, 'auth message signature']
const b64 = (n: number) => Utils.toBase64(Array.from(crypto.getRandomValues(new Uint8Array(n))))
const sessionsOf = (identityKey: string) => inMailbox(identityKey, (box) => storeOf(box).list())

function post(body: unknown) {
  const { fetch } = probeApp()
  return fetch(`${RELAY_ORIGIN}/.well-known/auth`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

function initialRequest(privateKey = PrivateKey.fromRandom(), overrides: Record<string, unknown> = {}) {
  return {
    version: '0.1',
    messageType: 'initialRequest',
    identityKey: privateKey.toPublicKey().toString(),
    initialNonce: b64(48),
    requestedCertificates: { certifiers: [], types: {} },
    ...overrides,
  }
}

async function expectInvalid(res: Response, code = 'ERR_INVALID_HANDSHAKE') {
  const text = await res.text()
  expect(res.status, text).toBe(400)
  expect(JSON.parse(text)).toMatchObject({ status: 'error', code })
}

describe('POST /.well-known/auth initialRequest', () => {
  it('answers an initialResponse the client can verify, after storing the session', async () => {
    const privateKey = PrivateKey.fromRandom()
    const request = initialRequest(privateKey)
    const res = await post(request)
    expect(res.status).toBe(200)
    const reply = (await res.json()) as Record<string, unknown>
    expect(reply).toMatchObject({
      version: '0.1',
      messageType: 'initialResponse',
      identityKey: TEST_SERVER_IDENTITY_KEY,
      yourNonce: request.initialNonce,
      requestedCertificates: { certifiers: [], types: {} },
    })
    const serverNonce = reply.initialNonce as string
    expect(Utils.toArray(serverNonce, 'base64')).toHaveLength(48)
    expect(Array.isArray(reply.signature)).toBe(true)

    // The client's check (Peer.processInitialResponse): data = its nonce ‖ S, keyID "<C> <S>".
    const client = new CompletedProtoWallet(privateKey)
    const { valid } = await client.verifySignature({
      data: Utils.toArray(request.initialNonce + serverNonce, 'base64'),
      signature: reply.signature as number[],
      protocolID: AUTH,
      keyID: `${request.initialNonce} ${serverNonce}`,
      counterparty: TEST_SERVER_IDENTITY_KEY,
    })
    expect(valid).toBe(true)

    const sessions = await sessionsOf(request.identityKey)
    expect(sessions).toMatchObject([
      { serverNonce, clientNonce: request.initialNonce, identityKey: request.identityKey, requestCount: 0 },
    ])
  })

  it('issues a different server nonce for every handshake, even a replayed one', async () => {
    const request = initialRequest()
    const [a, b] = await Promise.all([post(request), post(request)])
    const [ra, rb] = (await Promise.all([a.json(), b.json()])) as Array<{ initialNonce: string }>
    expect(ra!.initialNonce).not.toBe(rb!.initialNonce)
  })

  it('accepts an identity key in upper-case hex and stores it canonical (lower case)', async () => {
    const request = initialRequest()
    const res = await post({ ...request, identityKey: request.identityKey.toUpperCase() })
    expect(res.status).toBe(200)
    expect(await sessionsOf(request.identityKey)).toHaveLength(1)
  })

  it('answers 400 ERR_INVALID_JSON for a body that is not JSON', async () => {
    await expectInvalid(await post('{"version":'), 'ERR_INVALID_JSON')
  })

  const invalid: Array<[string, unknown]> = [
    ['a JSON array', []],
    ['version 1.0', initialRequest(undefined, { version: '1.0' })],
    ['no identity key', initialRequest(undefined, { identityKey: undefined })],
    ['an identity key of the wrong length', initialRequest(undefined, { identityKey: '02abcd' })],
    ['a 32-byte initial nonce', initialRequest(undefined, { initialNonce: b64(32) })],
    ['a non-string initial nonce', initialRequest(undefined, { initialNonce: 42 })],
    ['an unknown messageType', initialRequest(undefined, { messageType: 'general' })],
  ]
  for (const [what, body] of invalid) {
    it(`answers 400 ERR_INVALID_HANDSHAKE for ${what}`, async () => {
      await expectInvalid(await post(body))
    })
  }

  it('echoes at most 64 characters of a 2 MB version in its error', async () => {
    const res = await post(initialRequest(undefined, { version: 'v'.repeat(2_000_000) }))
    const text = await res.text()
    expect(res.status).toBe(400)
    expect(text.length).toBeLessThan(300)
    expect(JSON.parse(text)).toMatchObject({ code: 'ERR_INVALID_HANDSHAKE' })
    expect(JSON.parse(text).description).toContain('"vvvvvvvv')
  })

  it('echoes at most 64 characters of a 2 MB messageType in its error', async () => {
    const res = await post(initialRequest(undefined, { messageType: ['x'.repeat(2_000_000)] }))
    const text = await res.text()
    expect(res.status).toBe(400)
    expect(text.length).toBeLessThan(300)
  })

  it('issues a server nonce that only verifies for the identity it was issued to', async () => {
    const request = initialRequest()
    const reply = (await (await post(request)).json()) as { initialNonce: string }
    const key = await loadServerKey(env.SERVER_PRIVATE_KEY)
    const other = PrivateKey.fromRandom().toPublicKey().toString()
    expect(await isServerNonce(key.nonceKey, reply.initialNonce, request.identityKey)).toBe(true)
    expect(await isServerNonce(key.nonceKey, reply.initialNonce, other)).toBe(false)
  })

  it('answers 400 and stores nothing for an identity key that is not a point on the curve', async () => {
    const notAPoint = '02' + 'ff'.repeat(32)
    await expectInvalid(await post(initialRequest(undefined, { identityKey: notAPoint })))
    expect(await sessionsOf(notAPoint)).toEqual([])
  })
})

describe('POST /.well-known/auth certificateRequest', () => {
  async function certificateRequest(nonce = b64(32)) {
    const { fetch } = probeApp()
    const privateKey = PrivateKey.fromRandom()
    const session = await rawHandshake(fetch, privateKey)
    const requestedCertificates = { certifiers: [], types: {} }
    const { signature } = await session.wallet.createSignature({
      data: Utils.toArray(JSON.stringify(requestedCertificates), 'utf8'),
      protocolID: AUTH,
      keyID: `${nonce} ${session.serverNonce}`,
      counterparty: TEST_SERVER_IDENTITY_KEY,
    })
    const body = JSON.stringify({
      version: '0.1',
      messageType: 'certificateRequest',
      identityKey: session.identityKey,
      nonce,
      initialNonce: session.clientNonce,
      yourNonce: session.serverNonce,
      requestedCertificates,
      signature,
    })
    const send = () =>
      fetch(`${RELAY_ORIGIN}/.well-known/auth`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      })
    return { session, send }
  }

  it('answers a signed, empty certificateResponse the client can verify', async () => {
    const { session, send } = await certificateRequest()
    const res = await send()
    expect(res.status).toBe(200)
    const reply = (await res.json()) as Record<string, unknown>
    expect(reply).toMatchObject({
      version: '0.1',
      messageType: 'certificateResponse',
      identityKey: TEST_SERVER_IDENTITY_KEY,
      initialNonce: session.serverNonce,
      yourNonce: session.clientNonce,
      certificates: [],
    })
    // The client's check (Peer.processCertificateResponse): data = JSON of the certificates.
    const { valid } = await session.wallet.verifySignature({
      data: Utils.toArray('[]', 'utf8'),
      signature: reply.signature as number[],
      protocolID: AUTH,
      keyID: `${reply.nonce as string} ${session.clientNonce}`,
      counterparty: TEST_SERVER_IDENTITY_KEY,
    })
    expect(valid).toBe(true)
  })

  it("refuses a certificateRequest carrying another identity's server nonce (401 Session not found)", async () => {
    const { fetch } = probeApp()
    const [alice, bob] = [await rawHandshake(fetch), await rawHandshake(fetch)]
    const nonce = b64(32)
    const requestedCertificates = { certifiers: [], types: {} }
    const { signature } = await alice.wallet.createSignature({
      data: Utils.toArray(JSON.stringify(requestedCertificates), 'utf8'),
      protocolID: AUTH,
      keyID: `${nonce} ${bob.serverNonce}`,
      counterparty: TEST_SERVER_IDENTITY_KEY,
    })
    const res = await fetch(`${RELAY_ORIGIN}/.well-known/auth`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        version: '0.1',
        messageType: 'certificateRequest',
        identityKey: alice.identityKey,
        nonce,
        initialNonce: alice.clientNonce,
        yourNonce: bob.serverNonce,
        requestedCertificates,
        signature,
      }),
    })
    expect(res.status).toBe(401)
    expect(await res.json()).toMatchObject({ code: 'ERR_SESSION_NOT_FOUND' })
  })

  it('refuses the same certificateRequest twice (401 ERR_REPLAYED_REQUEST)', async () => {
    const { send } = await certificateRequest()
    expect((await send()).status).toBe(200)
    const replay = await send()
    expect(replay.status).toBe(401)
    expect(await replay.json()).toMatchObject({ code: 'ERR_REPLAYED_REQUEST' })
  })
})
