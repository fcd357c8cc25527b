import { CompletedProtoWallet, PrivateKey } from '@bsv/sdk'
import { describe, expect, it } from 'vitest'
import { AuthSigner } from '../../src/crypto/auth-signer'
import { hexBytes, toHex } from '../../src/crypto/encoding'
import {
  requestPreimage,
  responsePreimage,
  signedRequestHeaders,
  signedResponseHeaders,
} from '../../src/middleware/brc104-auth/payload'

// Deterministic vectors of protocol.md §13.1, generated with @bsv/sdk 2.1.0 and re-derived in Python.
// Every expected value below is copied from that document, never computed by the code under test.
const SERVER_PRIV = '11'.repeat(32)
const CLIENT_PRIV = '22'.repeat(32)
const SERVER_PUB = '034f355bdcb7cc0af728ef3cceb9615d90684bb5b2ca5f859ab0f0b704075871aa'
const CLIENT_PUB = '02466d7fcae563e5cb09a0d1870bb580344804617879a14949cf22285f1bae3f27'
const S = 'AAECAwQFBgcICQoLDA0OD58UEWr2wfaduevM4HzxqSiaRLRTwN4R7GSoDnCV2hxE'
const C = 'QUJDREVGR0hJSktMTU5PUPHjV439yDhosmGj8aAOKt2flBpAv8pPwUA/GYztq5d0'
const REQUEST_NONCE = 'REREREREREREREREREREREREREREREREREREREREREQ='
const RESPONSE_NONCE = 'VVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVU='
const REQUEST_ID = new Uint8Array(32).fill(0x33)
const ID_HEX = '33'.repeat(32)
const FF9 = 'ff'.repeat(9)

const POST_PREIMAGE =
  ID_HEX +
  '04504f5354' +
  '0d2f6c6973744d65737361676573' +
  FF9 +
  '01' +
  '0c636f6e74656e742d74797065' +
  '106170706c69636174696f6e2f6a736f6e' +
  '167b226d657373616765426f78223a22696e626f78227d'
const POST_SIGNATURE =
  '3044022010fe00684326d9893c3fdf1dd6c5009cb3ecf8450d6259c10edc5469ff5c622c022072188d0c8ebc4910a55ec8cd71302ae64944c4c61da458bbb23d9a7d487b1491'

const GET_PREIMAGE =
  ID_HEX +
  '03474554' +
  '102f7065726d697373696f6e732f676574' +
  '1d3f6d657373616765426f783d696e626f782673656e6465723d30326162' +
  '00' +
  FF9
const GET_SIGNATURE =
  '304402204b02b03b658f9815fe760a4a2fcae4b58612e8f9992d91b5a97244ed42eaee09022014e9ba748d6286fd446a2ab0a20fefb19938ddd51a10d2e54b08d757df609b4b'

const RESPONSE_PREIMAGE =
  ID_HEX + 'c8' + '00' + '22' + '7b22737461747573223a2273756363657373222c226d65737361676573223a5b5d7d'
const RESPONSE_SIGNATURE =
  '3045022100e65e987a9162547edeb5834a943b86050558f30b986ae218166e217b44c7727e0220522e8fc18f23a8f7459cfbdacc64c6aef5efbfbb6e9702d12e6181aa26878ade'

const PAYMENT_PREIMAGE =
  ID_HEX +
  'fd9201' +
  '03' +
  '1f782d6273762d7061796d656e742d64657269766174696f6e2d707265666978' +
  '0863484a6c5a6d6c34' +
  '1f782d6273762d7061796d656e742d7361746f736869732d7265717569726564' +
  '023130' +
  '15782d6273762d7061796d656e742d76657273696f6e' +
  '03312e30' +
  '467b22737461747573223a226572726f72222c22636f6465223a224552525f5041594d454e545f5245515549524544222c227361746f736869735265717569726564223a31307d'
const PAYMENT_SIGNATURE =
  '304402202baa2ebcb97e634550f82f4ccefdc6f5536ff3356aacaed299ccaeb3b6951982022053a0efc1890944f285a5f8cd5dbac666433a1de7d9e5e6bbc04cb8528181a4cb'

const HANDSHAKE_DATA =
  '4142434445464748494a4b4c4d4e4f50f1e3578dfdc83868b261a3f1a00e2add9f941a40bfca4fc1403f198cedab9774' +
  '000102030405060708090a0b0c0d0e0f9f14116af6c1f69db9ebcce07cf1a9289a44b453c0de11ec64a80e7095da1c44'
const HANDSHAKE_SIGNATURE =
  '3045022100befd819becb70a64f28cc423dfc95e28cf55c8be712376f98ecfbfb88497428e022076ba297994fe0829f8ca2559a29459daceb543369103af21eef72ecd7bdd2b27'

const bytes = (hex: string) => hexBytes(hex, 0, hex.length)!
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

describe('BRC-104 vectors (protocol.md §13.1)', () => {
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
