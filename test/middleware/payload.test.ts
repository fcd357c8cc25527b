import { CompletedProtoWallet, PrivateKey } from '@bsv/sdk'
import { describe, expect, it } from 'vitest'
import { AuthSigner } from '../../src/crypto/auth-signer'
import { toHex } from '../../src/crypto/encoding'
import {
  requestPreimage,
  responsePreimage,
  signedRequestHeaders,
  signedResponseHeaders,
} from '../../src/middleware/brc104-auth/payload'
import {
  SERVER_PRIV,
  CLIENT_PRIV,
  SERVER_PUB,
  CLIENT_PUB,
  S,
  C,
  REQUEST_NONCE,
  RESPONSE_NONCE,
  REQUEST_ID,
  ID_HEX,
  FF9,
  POST_PREIMAGE,
  POST_SIGNATURE,
  GET_PREIMAGE,
  GET_SIGNATURE,
  RESPONSE_PREIMAGE,
  RESPONSE_SIGNATURE,
  PAYMENT_PREIMAGE,
  PAYMENT_SIGNATURE,
  HANDSHAKE_DATA,
  HANDSHAKE_SIGNATURE,
  bytes,
} from '../helpers/vectors'

// Every expected value comes from docs/protocol.md §13.1 (test/helpers/vectors.ts).

const utf8 = (text: string) => new TextEncoder().encode(text)
const server = new AuthSigner(SERVER_PRIV)
const client = new CompletedProtoWallet(new PrivateKey(CLIENT_PRIV, 16))

/** The client's view: does @bsv/sdk accept the server's signature? */
async function clientAccepts(data: Uint8Array, signatureHex: string, keyID: string): Promise<boolean> {
  try {
    const { valid } = await client.verifySignature({
      data: Array.from(data),
      signature: Array.from(bytes(signatureHex)),
      protocolID: [2, 'auth message signature'],
      keyID,
      counterparty: SERVER_PUB,
    })
    return valid
  } catch {
    return false
  }
}

describe('BRC-104 vectors (docs/protocol.md §13.1)', () => {
  it('derives the vector identity keys', () => {
    expect(server.identityKey).toBe(SERVER_PUB)
    expect(new PrivateKey(CLIENT_PRIV, 16).toPublicKey().toString()).toBe(CLIENT_PUB)
  })

  it('builds the POST /listMessages request preimage byte for byte', () => {
    const preimage = requestPreimage({
      requestId: REQUEST_ID,
      method: 'POST',
      path: '/listMessages',
      search: '',
      headers: signedRequestHeaders(new Headers({ 'content-type': 'application/json', accept: '*/*' })),
      body: utf8('{"messageBox":"inbox"}'),
    })
    expect(toHex(preimage)).toBe(POST_PREIMAGE)
  })

  it('verifies the client signature of the POST vector, and rejects it for any other byte', async () => {
    const keyID = `${REQUEST_NONCE} ${S}`
    expect(await server.verify(bytes(POST_PREIMAGE), bytes(POST_SIGNATURE), keyID, CLIENT_PUB)).toBe(true)
    const tampered = bytes(POST_PREIMAGE)
    tampered[tampered.length - 2]! ^= 1
    expect(await server.verify(tampered, bytes(POST_SIGNATURE), keyID, CLIENT_PUB)).toBe(false)
    expect(
      await server.verify(bytes(POST_PREIMAGE), bytes(POST_SIGNATURE), `${REQUEST_NONCE} ${C}`, CLIENT_PUB),
    ).toBe(false)
    expect(await server.verify(bytes(POST_PREIMAGE), bytes(POST_SIGNATURE), keyID, SERVER_PUB)).toBe(false)
  })

  it('builds and verifies the GET-with-query vector (no headers, no body: VarInt(-1))', async () => {
    const preimage = requestPreimage({
      requestId: REQUEST_ID,
      method: 'GET',
      path: '/permissions/get',
      search: '?messageBox=inbox&sender=02ab',
      headers: signedRequestHeaders(new Headers()),
      body: new Uint8Array(0),
    })
    expect(toHex(preimage)).toBe(GET_PREIMAGE)
    expect(await server.verify(preimage, bytes(GET_SIGNATURE), `${REQUEST_NONCE} ${S}`, CLIENT_PUB)).toBe(
      true,
    )
  })

  it('builds the 200 response preimage and signs it exactly as the vector (RFC 6979, low-S)', async () => {
    const preimage = responsePreimage({
      requestId: REQUEST_ID,
      status: 200,
      headers: signedResponseHeaders(
        new Headers({ 'content-type': 'application/json', 'x-bsv-auth-nonce': 'x' }),
      ),
      body: utf8('{"status":"success","messages":[]}'),
    })
    expect(toHex(preimage)).toBe(RESPONSE_PREIMAGE)
    const keyID = `${RESPONSE_NONCE} ${C}`
    expect(toHex(await server.sign(preimage, keyID, CLIENT_PUB))).toBe(RESPONSE_SIGNATURE)
    expect(await clientAccepts(preimage, RESPONSE_SIGNATURE, keyID)).toBe(true)
  })

  it('signs x-bsv-* response headers sorted, excluding auth headers and content-type (402 vector)', async () => {
    const headers = new Headers({
      'x-bsv-payment-version': '1.0',
      'content-type': 'application/json',
      'x-bsv-payment-satoshis-required': '10',
      'x-bsv-auth-signature': 'ignored',
      'x-bsv-payment-derivation-prefix': 'cHJlZml4',
    })
    const preimage = responsePreimage({
      requestId: REQUEST_ID,
      status: 402,
      headers: signedResponseHeaders(headers),
      body: utf8('{"status":"error","code":"ERR_PAYMENT_REQUIRED","satoshisRequired":10}'),
    })
    expect(toHex(preimage)).toBe(PAYMENT_PREIMAGE)
    expect(toHex(await server.sign(preimage, `${RESPONSE_NONCE} ${C}`, CLIENT_PUB))).toBe(PAYMENT_SIGNATURE)
  })

  it('signs the initialResponse data (client nonce ‖ server nonce) as the vector', async () => {
    const signature = await server.sign(bytes(HANDSHAKE_DATA), `${C} ${S}`, CLIENT_PUB)
    expect(toHex(signature)).toBe(HANDSHAKE_SIGNATURE)
    expect(await clientAccepts(bytes(HANDSHAKE_DATA), HANDSHAKE_SIGNATURE, `${C} ${S}`)).toBe(true)
  })
})

describe('preimage encoding', () => {
  it('writes statuses as CompactSize (204 → cc, 401 → fd9101, 500 → fdf401)', () => {
    const statusBytes = (status: number) =>
      toHex(responsePreimage({ requestId: REQUEST_ID, status, headers: [], body: utf8('{}') })).slice(64, -6)
    expect(statusBytes(204)).toBe('cc00')
    expect(statusBytes(401)).toBe('fd910100')
    expect(statusBytes(500)).toBe('fdf40100')
  })

  it('length-prefixes a 64 KiB body with fe + u32', () => {
    const body = new Uint8Array(70_000).fill(0x61)
    const preimage = responsePreimage({ requestId: REQUEST_ID, status: 200, headers: [], body })
    expect(toHex(preimage.subarray(34, 39))).toBe('fe70110100')
    expect(preimage.length).toBe(32 + 1 + 1 + 5 + 70_000)
  })

  it('signs content-type by media type only and keeps authorization and x-bsv-* but not x-bsv-auth*', () => {
    const list = signedRequestHeaders(
      new Headers({
        'Content-Type': 'application/json; charset=utf-8',
        Authorization: 'Bearer t',
        'X-BSV-Zeta': 'z',
        'x-bsv-alpha': 'a',
        'x-bsv-authx': 'excluded: the prefix is x-bsv-auth without a dash',
        accept: 'text/html',
        'user-agent': 'proxy',
      }),
    )
    expect(list).toEqual([
      ['authorization', 'Bearer t'],
      ['content-type', 'application/json'],
      ['x-bsv-alpha', 'a'],
      ['x-bsv-zeta', 'z'],
    ])
  })
})
