import { ecdsa, type ECDSA } from '@noble/curves/abstract/weierstrass.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import type { CHash } from '@noble/curves/utils.js'
import {
  bytesToBigInt,
  type CurvePoint,
  Fn,
  importSharedSecret,
  invoiceScalar,
  Point,
  privateKeyFromHex,
  publicKeyFromHex,
  sharedSecret,
} from './brc42'
import { LruCache } from './lru'

/** BRC-43 invoice prefix of every BRC-104 signature: protocol `[2, "auth message signature"]` (docs/protocol.md §1.1). */
const INVOICE_PREFIX = '2-auth message signature-'
/** `KeyDeriver.computeInvoiceNumber` refuses keyIDs outside 1..800 UTF-16 code units. */
const MAX_KEY_ID_LENGTH = 800
/** Counterparties whose ECDH secret stays cached per isolate (around 1 KB each). */
export const DEFAULT_PEER_CACHE_SIZE = 4096
/**
 * Counterparties whose point also keeps a multiplication table (~520 points, about 120 KB each: 64
 * tables ≈ 8 MB of an isolate's 128 MB), which makes `u2·PK` in their signature checks additions only,
 * about 3× faster. A table costs about as much as ten plain multiplications to build, so it is built on
 * a peer's TABLE_AFTER-th verification: short-lived clients never pay for one, busy ones (a mailbox
 * polled all day) pay once.
 */
export const DEFAULT_TABLE_CACHE_SIZE = 64
const TABLE_AFTER = 8
/** Window of the per-peer tables: 65 windows × 8 multiples. */
const TABLE_WINDOW = 4

/** What is per counterparty and worth keeping: its point and the BRC-42 HMAC key `compressed(sk·PK)`. */
interface Peer {
  key: string
  point: CurvePoint
  hmacKey: CryptoKey
  verifications: number
}

export interface AuthSignerOptions {
  /** How many counterparties' ECDH secrets to keep (LRU). */
  peerCacheSize?: number
  /** How many counterparties' multiplication tables to keep (LRU); 0 disables them. */
  tableCacheSize?: number
}

/**
 * The server's side of BRC-104 signatures on @noble/curves: BRC-42 child keys per counterparty and
 * keyID, ECDSA over a single SHA-256 of the data, RFC 6979, low-S, DER (docs/protocol.md §1.2): the same
 * bytes `ProtoWallet.createSignature` produces and the same verdicts `verifySignature` gives.
 * The ECDH secret with each counterparty is computed once and kept in a bounded LRU.
 * Build it inside a request, once per isolate: it probes the CSPRNG, which Workers forbid at module scope.
 */
export class AuthSigner {
  readonly identityKey: string
  private readonly secret: bigint
  private readonly publicPoint: CurvePoint
  private readonly peers: LruCache<string, Promise<Peer>>
  private readonly tables: LruCache<string, CurvePoint> | undefined
  private readonly curve: ECDSA

  /** @throws Error when `privateKeyHex` is not a valid secp256k1 private key. */
  constructor(privateKeyHex: string, options: AuthSignerOptions = {}) {
    this.secret = privateKeyFromHex(privateKeyHex)
    this.publicPoint = Point.BASE.multiply(this.secret)
    this.identityKey = this.publicPoint.toHex(true)
    this.peers = new LruCache(options.peerCacheSize ?? DEFAULT_PEER_CACHE_SIZE)
    const tableCacheSize = options.tableCacheSize ?? DEFAULT_TABLE_CACHE_SIZE
    this.tables = tableCacheSize > 0 ? new LruCache(tableCacheSize) : undefined
    // The module-level `secp256k1` probed the CSPRNG at import time, where workerd refuses it, and so
    // would sign without nonce-inversion blinding. An instance built here, inside a request, has it.
    this.curve = ecdsa(Point, (secp256k1 as ECDSA & { hash: CHash }).hash)
  }

  /** How many counterparties' ECDH secrets are cached. */
  get cachedPeers(): number {
    return this.peers.size
  }

  /** How many counterparties' multiplication tables are cached. */
  get cachedTables(): number {
    return this.tables?.size ?? 0
  }

  /**
   * DER signature over `data` with our child key for (`keyID`, `counterparty`).
   * @throws Error when the keyID is out of range or `counterparty` is not a valid public key.
   */
  async sign(data: Uint8Array, keyID: string, counterparty: string): Promise<Uint8Array> {
    const [h, digest] = await Promise.all([this.invoiceScalar(keyID, counterparty), sha256(data)])
    const childPriv = Fn.create(this.secret + h)
    if (childPriv === 0n) throw new Error('derived child key is zero')
    return this.curve.sign(digest, Fn.toBytes(childPriv), { prehash: false, lowS: true, format: 'der' })
  }

  /**
   * Whether `signature` (DER) over `data` was made by `counterparty`'s child key for `keyID`.
   * Never throws: a malformed signature, keyID or key is just not valid. High-S signatures are
   * accepted, as the SDK's verifier accepts them.
   */
  async verify(
    data: Uint8Array,
    signature: Uint8Array,
    keyID: string,
    counterparty: string,
  ): Promise<boolean> {
    try {
      const { r, s } = this.curve.Signature.fromBytes(signature, 'der')
      const [h, digest, peer] = await Promise.all([
        this.invoiceScalar(keyID, counterparty),
        sha256(data),
        this.peer(counterparty),
      ])
      const sInv = Fn.inv(s)
      const u1 = Fn.mul(Fn.create(bytesToBigInt(digest)), sInv)
      const u2 = Fn.mul(r, sInv)
      // ECDSA: R = u1·G + u2·childPub with childPub = PK + h·G. Regrouped as (u1 + u2·h)·G + u2·PK it
      // is the same point without computing h·G; both scalars and points are public here.
      const R = Point.BASE.multiplyUnsafe(Fn.add(u1, Fn.mul(u2, h))).add(
        this.tableFor(peer).multiplyUnsafe(u2),
      )
      if (R.is0()) return false
      return Fn.create(R.toAffine().x) === r
    } catch {
      return false
    }
  }

  /** The peer's point, with a multiplication table once it has verified TABLE_AFTER times (while the LRU keeps it). */
  private tableFor(peer: Peer): CurvePoint {
    if (!this.tables) return peer.point
    const table = this.tables.get(peer.key)
    if (table) return table
    if (++peer.verifications < TABLE_AFTER) return peer.point
    // A fresh instance owns the table (noble keeps tables per instance, weakly): evicting it frees the table.
    const fresh = Point.fromAffine(peer.point.toAffine()).precompute(TABLE_WINDOW, false)
    this.tables.set(peer.key, fresh)
    return fresh
  }

  /** `h = HMAC-SHA256(compressed(sk·PK), "2-auth message signature-<keyID>") mod n`. */
  private async invoiceScalar(keyID: string, counterparty: string): Promise<bigint> {
    if (keyID.length < 1 || keyID.length > MAX_KEY_ID_LENGTH)
      throw new Error('keyID must be 1..800 characters')
    const peer = await this.peer(counterparty)
    return invoiceScalar(peer.hmacKey, INVOICE_PREFIX + keyID)
  }

  /** The cached per-counterparty material; the ECDH runs once per counterparty per isolate. */
  private peer(counterparty: string): Promise<Peer> {
    const key =
      counterparty === 'self' || counterparty === 'anyone' ? counterparty : counterparty.toLowerCase()
    const cached = this.peers.get(key)
    if (cached) return cached
    const created = this.createPeer(key)
    this.peers.set(key, created)
    // An invalid key is not worth a slot: forget it, so it fails again (cheaply: no ECDH) next time.
    created.catch(() => {
      if (this.peers.get(key) === created) this.peers.delete(key)
    })
    return created
  }

  private async createPeer(counterparty: string): Promise<Peer> {
    // 'self' and 'anyone' as the SDK defines them: our own key, and the key whose secret is 1.
    const point =
      counterparty === 'self'
        ? this.publicPoint
        : counterparty === 'anyone'
          ? Point.BASE
          : publicKeyFromHex(counterparty)
    return {
      key: counterparty,
      point,
      hmacKey: await importSharedSecret(sharedSecret(this.secret, point)),
      verifications: 0,
    }
  }
}

async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', data))
}
