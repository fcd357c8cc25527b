import { CompletedProtoWallet, PrivateKey } from '@bsv/sdk'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { describe, expect, it } from 'vitest'
import { AuthSigner } from '../../src/crypto/auth-signer'
import { deriveChildPrivate, privateKeyFromHex, publicKeyFromHex } from '../../src/crypto/brc42'
import { randomBytes, toBase64, toHex } from '../../src/crypto/encoding'
import { LruCache } from '../../src/crypto/lru'
import { deriveChildPublic } from '../helpers/brc42-public'
import {
  SERVER_PRIV,
  CLIENT_PRIV,
  SERVER_PUB,
  CLIENT_PUB,
  S,
  C,
  REQUEST_NONCE,
  RESPONSE_NONCE,
  HANDSHAKE_DATA,
  HANDSHAKE_SIGNATURE,
  POST_PREIMAGE,
  POST_SIGNATURE,
  RESPONSE_PREIMAGE,
  RESPONSE_SIGNATURE,
  bytes,
} from '../helpers/vectors'

// Expected values come from docs/protocol.md §13.1 (test/helpers/vectors.ts), never from the code under test.
// No crypto is mocked anywhere in this file.
const INVOICE_PREFIX = '2-auth message signature-'

const PROTOCOL: [2, string] = [2, 'auth message signature']

describe('BRC-42 derivation (docs/protocol.md §13.1 spec vectors)', () => {
  it('derives the private-key vector', async () => {
    const child = await deriveChildPrivate(
      privateKeyFromHex('6a1751169c111b4667a6539ee1be6b7cd9f6e9c8fe011a5f2fe31e03a15e0ede'),
      publicKeyFromHex('033f9160df035156f1c48e75eae99914fa1a1546bec19781e8eddb900200bff9d1'),
      'f3WCaUmnN9U=',
    )
    expect(child.toString(16).padStart(64, '0')).toBe(
      '761656715bbfa172f8f9f58f5af95d9d0dfd69014cfdcacc9a245a10ff8893ef',
    )
  })

  it('derives the public-key vector', async () => {
    const child = await deriveChildPublic(
      privateKeyFromHex('583755110a8c059de5cd81b8a04e1be884c46083ade3f779c1e022f6f89da94c'),
      publicKeyFromHex('02c0c1e1a1f7d247827d1bcf399f0ef2deef7695c322fd91a01a91378f101b6ffc'),
      'IBioA4D/OaE=',
    )
    expect(child.toHex(true)).toBe('03c1bf5baadee39721ae8c9882b3cf324f0bf3b9eb3fc1b8af8089ca7a7c2e669f')
  })

  it('derives the BRC-104 child public keys of the vectors', async () => {
    const server = privateKeyFromHex(SERVER_PRIV)
    const client = privateKeyFromHex(CLIENT_PRIV)
    // What the client derives for the server's handshake and response signatures.
    expect(
      (await deriveChildPublic(client, publicKeyFromHex(SERVER_PUB), `${INVOICE_PREFIX}${C} ${S}`)).toHex(
        true,
      ),
    ).toBe('02bef2e42857b5708180c069bdcd10e6350fb7947e21370f098e6bab1e7d121773')
    expect(
      (
        await deriveChildPublic(
          client,
          publicKeyFromHex(SERVER_PUB),
          `${INVOICE_PREFIX}${RESPONSE_NONCE} ${C}`,
        )
      ).toHex(true),
    ).toBe('032babb8cbb69988938c835436408088223a62126eb2feb747f4ff8e7d2c671465')
    // What the server derives to verify the client's request signature.
    expect(
      (
        await deriveChildPublic(
          server,
          publicKeyFromHex(CLIENT_PUB),
          `${INVOICE_PREFIX}${REQUEST_NONCE} ${S}`,
        )
      ).toHex(true),
    ).toBe('02ce6b07511b438a57c1f27d28cc5146aa38c833949310dc47d0e4456cf6947cd2')
  })
})

describe('AuthSigner (docs/protocol.md §13.1 signature vectors)', () => {
  const server = new AuthSigner(SERVER_PRIV)

  it('has the vector identity key', () => {
    expect(server.identityKey).toBe(SERVER_PUB)
  })

  it('signs the initialResponse vector byte for byte (RFC 6979, low-S, DER)', async () => {
    const signature = await server.sign(bytes(HANDSHAKE_DATA), `${C} ${S}`, CLIENT_PUB)
    expect(toHex(signature)).toBe(HANDSHAKE_SIGNATURE)
  })

  it('signs the general response vector byte for byte', async () => {
    const signature = await server.sign(bytes(RESPONSE_PREIMAGE), `${RESPONSE_NONCE} ${C}`, CLIENT_PUB)
    expect(toHex(signature)).toBe(RESPONSE_SIGNATURE)
  })

  it("verifies the client's general request vector, and nothing else", async () => {
    const keyID = `${REQUEST_NONCE} ${S}`
    expect(await server.verify(bytes(POST_PREIMAGE), bytes(POST_SIGNATURE), keyID, CLIENT_PUB)).toBe(true)
    const tampered = bytes(POST_PREIMAGE)
    tampered[tampered.length - 2] = tampered[tampered.length - 2]! ^ 1
    expect(await server.verify(tampered, bytes(POST_SIGNATURE), keyID, CLIENT_PUB)).toBe(false)
    expect(
      await server.verify(bytes(POST_PREIMAGE), bytes(POST_SIGNATURE), `${REQUEST_NONCE} ${C}`, CLIENT_PUB),
    ).toBe(false)
    expect(await server.verify(bytes(POST_PREIMAGE), bytes(POST_SIGNATURE), keyID, SERVER_PUB)).toBe(false)
  })
})

describe('AuthSigner against @bsv/sdk ProtoWallet', () => {
  const randomKey = () => PrivateKey.fromRandom()

  it('produces the signatures ProtoWallet produces, which ProtoWallet verifies', async () => {
    const serverKey = randomKey()
    const signer = new AuthSigner(serverKey.toHex().padStart(64, '0'))
    const sdkServer = new CompletedProtoWallet(serverKey)
    for (let i = 0; i < 12; i++) {
      const clientKey = randomKey()
      const client = new CompletedProtoWallet(clientKey)
      const counterparty = clientKey.toPublicKey().toString()
      const data = randomBytes(1 + ((i * 977) % 4000))
      const keyID = `${toBase64(randomBytes(32))} ${toBase64(randomBytes(48))}`
      const ours = await signer.sign(data, keyID, counterparty)
      const { signature: theirs } = await sdkServer.createSignature({
        data: Array.from(data),
        protocolID: PROTOCOL,
        keyID,
        counterparty,
      })
      expect(toHex(ours)).toBe(toHex(Uint8Array.from(theirs)))
      const { valid } = await client.verifySignature({
        data: Array.from(data),
        signature: Array.from(ours),
        protocolID: PROTOCOL,
        keyID,
        counterparty: signer.identityKey,
      })
      expect(valid).toBe(true)
    }
  })

  it('accepts what ProtoWallet signs and rejects what ProtoWallet rejects', async () => {
    const signer = new AuthSigner(randomKey().toHex().padStart(64, '0'))
    for (let i = 0; i < 12; i++) {
      const clientKey = randomKey()
      const client = new CompletedProtoWallet(clientKey)
      const counterparty = clientKey.toPublicKey().toString()
      const data = randomBytes(1 + ((i * 1231) % 3000))
      const keyID = `${toBase64(randomBytes(32))} ${toBase64(randomBytes(48))}`
      const { signature } = await client.createSignature({
        data: Array.from(data),
        protocolID: PROTOCOL,
        keyID,
        counterparty: signer.identityKey,
      })
      const der = Uint8Array.from(signature)
      expect(await signer.verify(data, der, keyID, counterparty)).toBe(true)
      // Same verdicts as the SDK on the usual forgeries: other data, other keyID, other signer.
      const other = Uint8Array.from(data)
      other[0] = other[0]! ^ 0x80
      expect(await signer.verify(other, der, keyID, counterparty)).toBe(false)
      expect(await signer.verify(data, der, keyID + 'x', counterparty)).toBe(false)
      expect(await signer.verify(data, der, keyID, randomKey().toPublicKey().toString())).toBe(false)
    }
  })

  it('accepts the high-S twin of a valid signature, as the SDK verifier does', async () => {
    const serverKey = randomKey()
    const signer = new AuthSigner(serverKey.toHex().padStart(64, '0'))
    const sdkServer = new CompletedProtoWallet(serverKey)
    const clientKey = randomKey()
    const client = new CompletedProtoWallet(clientKey)
    const counterparty = clientKey.toPublicKey().toString()
    const data = randomBytes(100)
    const keyID = 'high-s'
    const { signature } = await client.createSignature({
      data: Array.from(data),
      protocolID: PROTOCOL,
      keyID,
      counterparty: signer.identityKey,
    })
    const low = secp256k1.Signature.fromBytes(Uint8Array.from(signature), 'der')
    const high = new secp256k1.Signature(low.r, secp256k1.Point.Fn.neg(low.s)).toBytes('der')
    expect(toHex(high)).not.toBe(toHex(Uint8Array.from(signature)))
    const sdkVerdict = await sdkServer
      .verifySignature({
        data: Array.from(data),
        signature: Array.from(high),
        protocolID: PROTOCOL,
        keyID,
        counterparty,
      })
      .then(
        (r) => r.valid,
        () => false,
      )
    expect(sdkVerdict).toBe(true)
    expect(await signer.verify(data, high, keyID, counterparty)).toBe(true)
  })

  it("uses 'self' and 'anyone' as the SDK does", async () => {
    const key = randomKey()
    const signer = new AuthSigner(key.toHex().padStart(64, '0'))
    const wallet = new CompletedProtoWallet(key)
    const data = randomBytes(64)
    for (const counterparty of ['self', 'anyone'] as const) {
      const ours = await signer.sign(data, 'k', counterparty)
      const { signature } = await wallet.createSignature({
        data: Array.from(data),
        protocolID: PROTOCOL,
        keyID: 'k',
        counterparty,
      })
      expect(toHex(ours)).toBe(toHex(Uint8Array.from(signature)))
    }
    // Verifying "as self" checks our own child key, as ProtoWallet does.
    expect(await signer.verify(data, await signer.sign(data, 'k', 'self'), 'k', 'self')).toBe(true)
  })
})

describe('AuthSigner input handling', () => {
  const signer = new AuthSigner(SERVER_PRIV)

  it('refuses keyIDs the SDK refuses (1..800 characters)', async () => {
    await expect(signer.sign(new Uint8Array(1), '', CLIENT_PUB)).rejects.toThrow()
    await expect(signer.sign(new Uint8Array(1), 'k'.repeat(801), CLIENT_PUB)).rejects.toThrow()
    await expect(signer.sign(new Uint8Array(1), 'k'.repeat(800), CLIENT_PUB)).resolves.toBeInstanceOf(
      Uint8Array,
    )
    expect(await signer.verify(bytes(POST_PREIMAGE), bytes(POST_SIGNATURE), '', CLIENT_PUB)).toBe(false)
  })

  it('answers false (never throws) for a malformed signature or counterparty', async () => {
    const keyID = `${REQUEST_NONCE} ${S}`
    expect(await signer.verify(bytes(POST_PREIMAGE), new Uint8Array(8), keyID, CLIENT_PUB)).toBe(false)
    expect(
      await signer.verify(bytes(POST_PREIMAGE), bytes(POST_SIGNATURE).subarray(1), keyID, CLIENT_PUB),
    ).toBe(false)
    // x = 5 has no point on secp256k1: not a public key.
    const offCurve = '02' + '00'.repeat(31) + '05'
    expect(await signer.verify(bytes(POST_PREIMAGE), bytes(POST_SIGNATURE), keyID, offCurve)).toBe(false)
    await expect(signer.sign(new Uint8Array(1), 'k', offCurve)).rejects.toThrow()
    await expect(signer.sign(new Uint8Array(1), 'k', 'not a key')).rejects.toThrow()
  })

  it('refuses invalid private keys', () => {
    expect(() => new AuthSigner('00'.repeat(32))).toThrow()
    expect(() => new AuthSigner('ff'.repeat(32))).toThrow()
    expect(() => new AuthSigner('11')).toThrow()
  })
})

describe('per-peer cache', () => {
  it('keeps at most the configured number of peers, least recently used out first', async () => {
    const signer = new AuthSigner(SERVER_PRIV, { peerCacheSize: 3 })
    const peers = Array.from({ length: 5 }, () => PrivateKey.fromRandom().toPublicKey().toString())
    for (const peer of peers) await signer.sign(new Uint8Array(1), 'k', peer)
    expect(signer.cachedPeers).toBe(3)
    // Evicted peers still work (the ECDH is just computed again), with the same signatures.
    const again = await signer.sign(new Uint8Array(1), 'k', peers[0]!)
    expect(toHex(again)).toBe(
      toHex(await new AuthSigner(SERVER_PRIV).sign(new Uint8Array(1), 'k', peers[0]!)),
    )
    expect(signer.cachedPeers).toBe(3)
  })

  it("verifies through a peer's multiplication table exactly as without, keeping at most the configured tables", async () => {
    const serverKey = PrivateKey.fromRandom()
    const withTables = new AuthSigner(serverKey.toHex().padStart(64, '0'), { tableCacheSize: 2 })
    const without = new AuthSigner(serverKey.toHex().padStart(64, '0'), { tableCacheSize: 0 })
    const sdkServer = new CompletedProtoWallet(serverKey)
    const clients = Array.from({ length: 3 }, () => PrivateKey.fromRandom())
    for (let round = 0; round < 4; round++) {
      for (const clientKey of clients) {
        const counterparty = clientKey.toPublicKey().toString()
        const data = randomBytes(200)
        const keyID = `${toBase64(randomBytes(32))} ${round}`
        const { signature } = await new CompletedProtoWallet(clientKey).createSignature({
          data: Array.from(data),
          protocolID: PROTOCOL,
          keyID,
          counterparty: withTables.identityKey,
        })
        const der = Uint8Array.from(signature)
        const forged = Uint8Array.from(data)
        forged[5] = forged[5]! ^ 1
        for (const [bytes, expected] of [
          [data, true],
          [forged, false],
        ] as const) {
          const sdk = await sdkServer
            .verifySignature({
              data: Array.from(bytes),
              signature,
              protocolID: PROTOCOL,
              keyID,
              counterparty,
            })
            .then(
              (r) => r.valid,
              () => false,
            )
          expect(sdk).toBe(expected)
          expect(await withTables.verify(bytes, der, keyID, counterparty)).toBe(expected)
          expect(await without.verify(bytes, der, keyID, counterparty)).toBe(expected)
        }
      }
    }
    expect(withTables.cachedTables).toBe(2)
    expect(without.cachedTables).toBe(0)
  })

  it('does not cache invalid counterparties', async () => {
    const signer = new AuthSigner(SERVER_PRIV, { peerCacheSize: 3 })
    await expect(signer.sign(new Uint8Array(1), 'k', '02' + '00'.repeat(31) + '05')).rejects.toThrow()
    await Promise.resolve()
    expect(signer.cachedPeers).toBe(0)
  })

  it('LruCache evicts the least recently used entry and refreshes on get', () => {
    const lru = new LruCache<string, number>(2)
    lru.set('a', 1)
    lru.set('b', 2)
    expect(lru.get('a')).toBe(1)
    lru.set('c', 3)
    expect(lru.get('b')).toBeUndefined()
    expect(lru.get('a')).toBe(1)
    expect(lru.get('c')).toBe(3)
    expect(lru.size).toBe(2)
    expect(() => new LruCache(0)).toThrow()
  })
})
