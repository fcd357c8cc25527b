import type { PaymentLimits } from './limits'
import { PaymentRefused } from './refusal'

const ATOMIC_BEEF = 0x01010101
const BEEF_V1 = 0xefbe0001
const BEEF_V2 = 0xefbe0002
// 21 million coins: an output amount above it is not a Bitcoin amount (and not a safe JS number).
const MAX_SATOSHIS = 2_100_000_000_000_000

/** What the scan counted; the SDK parses the same bytes afterwards. */
export interface BeefShape {
  /** The subject transaction id (display hex) named by the BRC-95 header. */
  subjectTxid: string
  transactions: number
  bumps: number
  inputs: number
  outputs: number
}

/**
 * Walks AtomicBEEF bytes (BRC-95 around BEEF V1/V2, BRC-62/96) checking every count and length against
 * the bytes left and against `limits`, without building anything. The SDK's reader does neither (it
 * reads past the end as zeros, so a forged count loops for as long as it says), so its parser only ever
 * sees bytes this scan accepted: exactly one well-formed AtomicBEEF, no trailing bytes.
 * @throws PaymentRefused('ERR_INVALID_PAYMENT') naming the first problem.
 */
export function scanAtomicBeef(bytes: Uint8Array, limits: PaymentLimits): BeefShape {
  const r = new BoundedReader(bytes)
  if (r.u32() !== ATOMIC_BEEF) invalid('payment.tx is not AtomicBEEF (BRC-95): it must start with 01010101')
  const subjectTxid = r.hashDisplay()
  const version = r.u32()
  if (version !== BEEF_V1 && version !== BEEF_V2) invalid('payment.tx does not hold a BEEF V1 or V2')

  const bumps = r.count('BUMPs', limits.maxBumps)
  for (let b = 0; b < bumps; b++) {
    r.varint('block height', 0xffffffff)
    const treeHeight = r.u8()
    if (treeHeight < 1 || treeHeight > limits.maxTreeHeight)
      invalid(`BUMP ${b} has a tree height of ${treeHeight}`)
    for (let level = 0; level < treeHeight; level++) {
      // A leaf is at least an offset and a flag byte.
      const leaves = r.count('BUMP leaves', Math.floor(r.left() / 2))
      for (let l = 0; l < leaves; l++) {
        r.varint('leaf offset', Number.MAX_SAFE_INTEGER)
        const flags = r.u8()
        if (flags > 2) invalid(`BUMP ${b} has a leaf with unknown flags ${flags}`)
        if ((flags & 1) === 0) r.skip(32)
      }
    }
  }

  const transactions = r.count('transactions', limits.maxTransactions)
  if (transactions < 1) invalid('payment.tx holds no transaction')
  const totals = { inputs: 0, outputs: 0 }
  for (let t = 0; t < transactions; t++) {
    if (version === BEEF_V2) {
      const format = r.u8()
      if (format === 2) {
        r.skip(32) // txid only
        continue
      }
      if (format === 1) bumpIndex(r, bumps)
      else if (format !== 0) invalid(`transaction ${t} has an unknown BEEF V2 format ${format}`)
      rawTransaction(r, limits, totals)
    } else {
      rawTransaction(r, limits, totals)
      const hasBump = r.u8()
      if (hasBump === 1) bumpIndex(r, bumps)
      else if (hasBump !== 0) invalid(`transaction ${t} has an invalid BUMP flag ${hasBump}`)
    }
  }
  if (r.left() !== 0) invalid(`payment.tx has ${r.left()} bytes after its last transaction`)
  return { subjectTxid, transactions, bumps, ...totals }
}

function bumpIndex(r: BoundedReader, bumps: number): void {
  const index = r.varint('BUMP index', Number.MAX_SAFE_INTEGER)
  if (index >= bumps) invalid(`a transaction names BUMP ${index} of ${bumps}`)
}

function rawTransaction(
  r: BoundedReader,
  limits: PaymentLimits,
  totals: { inputs: number; outputs: number },
) {
  r.skip(4) // version
  // An input is at least 41 bytes, an output at least 9: counts beyond the bytes left are forged.
  const inputs = r.count('inputs', Math.floor(r.left() / 41))
  totals.inputs += inputs
  if (totals.inputs > limits.maxInputs) invalid(`payment.tx has more than ${limits.maxInputs} inputs`)
  for (let i = 0; i < inputs; i++) {
    r.skip(36) // outpoint
    r.skip(r.varint('script length', r.left()))
    r.skip(4) // sequence
  }
  const outputs = r.count('outputs', Math.floor(r.left() / 9))
  totals.outputs += outputs
  if (totals.outputs > limits.maxOutputs) invalid(`payment.tx has more than ${limits.maxOutputs} outputs`)
  for (let o = 0; o < outputs; o++) {
    const low = r.u32()
    const high = r.u32()
    if (high * 0x100000000 + low > MAX_SATOSHIS) invalid('payment.tx has an output above 21 million coins')
    r.skip(r.varint('script length', r.left()))
  }
  r.skip(4) // lock time
}

function invalid(description: string): never {
  throw new PaymentRefused('ERR_INVALID_PAYMENT', description)
}

/** Little-endian reads that refuse to pass the end. */
class BoundedReader {
  private pos = 0

  constructor(private readonly bytes: Uint8Array) {}

  left(): number {
    return this.bytes.length - this.pos
  }

  skip(n: number): void {
    if (n > this.left()) invalid('payment.tx ends in the middle of its data')
    this.pos += n
  }

  u8(): number {
    this.skip(1)
    return this.bytes[this.pos - 1]!
  }

  u32(): number {
    this.skip(4)
    const b = this.bytes
    const p = this.pos - 4
    return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0
  }

  /** A Bitcoin varint no larger than `max`. */
  varint(what: string, max: number): number {
    const first = this.u8()
    let value: number
    if (first < 0xfd) value = first
    else if (first === 0xfd) value = this.u8() | (this.u8() << 8)
    else if (first === 0xfe) value = this.u32()
    else {
      const low = this.u32()
      const high = this.u32()
      value = high * 0x100000000 + low
    }
    if (value > max) invalid(`payment.tx has a ${what} of ${value} (at most ${max} here)`)
    return value
  }

  /** A varint count of items, at most `max`. */
  count(what: string, max: number): number {
    return this.varint(`count of ${what}`, max)
  }

  /** 32 bytes in internal order, as display hex (reversed). */
  hashDisplay(): string {
    this.skip(32)
    let hex = ''
    for (let i = this.pos - 1; i >= this.pos - 32; i--) hex += this.bytes[i]!.toString(16).padStart(2, '0')
    return hex
  }
}
