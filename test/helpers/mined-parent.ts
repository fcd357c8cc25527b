import { type LockingScript, MerklePath, Random, Transaction, UnlockingScript, Utils } from '@bsv/sdk'

// Pure @bsv/sdk, no `cloudflare:test`: the workers suites' payment builder and the e2e suite's funded wallet
// (in Node) both fund their payments from here.

/** A block height no other test uses (the fake chain tracker is shared): random in 1 … 2^31-1. */
export function randomHeight(): number {
  return 1 + (crypto.getRandomValues(new Uint32Array(1))[0]! % 0x7ffffffe)
}

/**
 * A parent transaction paying each of `satoshis` (one output each) to `lock`, "mined" in a made-up two-leaf
 * block: the parent at offset 1 (offset 0 is the coinbase, which @bsv/sdk 2.1.0 checks the wrong way round).
 * Telling a chain tracker about the block is the caller's part.
 */
export function minedParent(lock: LockingScript, satoshis: number[]) {
  const parent = new Transaction()
  parent.addInput({
    sourceTXID: Utils.toHex(Random(32)),
    sourceOutputIndex: 0,
    unlockingScript: new UnlockingScript(),
    sequence: 0xffffffff,
  })
  for (const amount of satoshis) parent.addOutput({ lockingScript: lock, satoshis: amount })
  const height = randomHeight()
  const parentTxid = parent.id('hex')
  parent.merklePath = new MerklePath(height, [
    [
      { offset: 0, hash: Utils.toHex(Random(32)) },
      { offset: 1, hash: parentTxid, txid: true },
    ],
  ])
  return { parent, height, merkleRoot: parent.merklePath.computeRoot(parentTxid) }
}
