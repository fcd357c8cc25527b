import {
  type CreateActionArgs,
  type CreateActionResult,
  type InternalizeActionArgs,
  type InternalizeActionResult,
  LockingScript,
  MerklePath,
  P2PKH,
  PrivateKey,
  Random,
  Transaction,
  UnlockingScript,
  Utils,
} from '@bsv/sdk'
import { MessageBoxClient } from '@bsv/message-box-client'
import { TestPaymentWallet } from './clients'

/**
 * A wallet that really pays, for the e2e suite (Node). Its createAction builds the transaction the client
 * asks for, as a real wallet would with `randomizeOutputs: false`: the requested outputs in order (locking
 * script hex and satoshis as given), then change. It is funded from a parent transaction paying a funding
 * key, "mined" in a made-up two-leaf block (a MerklePath) whose root is registered with the fake chain
 * tracker (test/fakes/chain-tracker.ts) before createAction returns `{ tx: AtomicBEEF }`.
 *
 * This mirrors buildTransaction in test/helpers/payments.ts, which cannot be imported here: it registers
 * blocks through `cloudflare:test`. internalizeAction records what the client tried to take in.
 */
export class FundedTestWallet extends TestPaymentWallet {
  /** Every transaction createAction returned, in order. */
  readonly createdTransactions: Transaction[] = []
  /** The made-up block height of each created transaction's parent, in order. */
  readonly blockHeights: number[] = []
  /** Every internalizeAction call (what the recipient's client tried to take in). */
  readonly internalized: InternalizeActionArgs[] = []
  /** When false, made-up blocks are not registered: the relay's tracker answers 404 for them. */
  registerBlocks = true

  constructor(
    rootKey: PrivateKey,
    private readonly chainTrackerUrl: string,
  ) {
    super(rootKey)
  }

  override async createAction(args: CreateActionArgs): Promise<CreateActionResult> {
    this.createdActions.push(args)
    const requested = args.outputs ?? []
    const funding = PrivateKey.fromRandom()
    const fundingLock = new P2PKH().lock(funding.toAddress())
    const fundingSatoshis = 1000 + requested.reduce((sum, o) => sum + o.satoshis, 0)

    const parent = new Transaction()
    parent.addInput({
      sourceTXID: Utils.toHex(Random(32)),
      sourceOutputIndex: 0,
      unlockingScript: new UnlockingScript(),
      sequence: 0xffffffff,
    })
    parent.addOutput({ lockingScript: fundingLock, satoshis: fundingSatoshis })
    // A two-leaf block: the parent at offset 1 (offset 0 would be a coinbase, checked differently).
    const height = randomHeight()
    const parentTxid = parent.id('hex')
    parent.merklePath = new MerklePath(height, [
      [
        { offset: 0, hash: Utils.toHex(Random(32)) },
        { offset: 1, hash: parentTxid, txid: true },
      ],
    ])
    if (this.registerBlocks) {
      await registerBlock(this.chainTrackerUrl, height, parent.merklePath.computeRoot(parentTxid))
    }
    this.blockHeights.push(height)

    const tx = new Transaction()
    tx.addInput({
      sourceTransaction: parent,
      sourceOutputIndex: 0,
      unlockingScriptTemplate: new P2PKH().unlock(funding),
    })
    let paid = 0
    for (const output of requested) {
      tx.addOutput({ lockingScript: LockingScript.fromHex(output.lockingScript), satoshis: output.satoshis })
      paid += output.satoshis
    }
    tx.addOutput({ lockingScript: fundingLock, satoshis: fundingSatoshis - paid - 10 })
    await tx.sign()
    this.createdTransactions.push(tx)
    return { txid: tx.id('hex'), tx: tx.toAtomicBEEF() }
  }

  // @ts-expect-error CompletedProtoWallet declares internalizeAction without arguments.
  override async internalizeAction(args: InternalizeActionArgs): Promise<InternalizeActionResult> {
    this.internalized.push(args)
    return { accepted: true }
  }
}

/** A person whose real MessageBoxClient pays with a {@link FundedTestWallet}. */
export interface FundedIdentity {
  name: string
  key: PrivateKey
  identityKey: string
  wallet: FundedTestWallet
  client: MessageBoxClient
}

/** A new funded identity talking to `host` (networkPreset 'local', as newIdentity in clients.ts). */
export function newFundedIdentity(name: string, host: string, chainTrackerUrl: string): FundedIdentity {
  const key = PrivateKey.fromRandom()
  const wallet = new FundedTestWallet(key, chainTrackerUrl)
  return {
    name,
    key,
    identityKey: key.toPublicKey().toString(),
    wallet,
    client: new MessageBoxClient({ host, walletClient: wallet, networkPreset: 'local' }),
  }
}

/** Registers a made-up block with the fake chain tracker (its `POST /_blocks` control route). */
export async function registerBlock(chainTrackerUrl: string, height: number, merkleroot: string) {
  const res = await fetch(`${chainTrackerUrl}/_blocks`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ height, merkleroot }),
  })
  if (!res.ok) throw new Error(`fake chain tracker POST /_blocks: ${res.status} ${await res.text()}`)
}

/** How many header requests the fake chain tracker received for `height` (`GET /_requests`). */
export async function headerRequests(chainTrackerUrl: string, height: number): Promise<number> {
  const res = await fetch(`${chainTrackerUrl}/_requests?height=${height}`)
  if (!res.ok) throw new Error(`fake chain tracker GET /_requests: ${res.status} ${await res.text()}`)
  return ((await res.json()) as { count: number }).count
}

/** A random height in 1 … 2^31-1, so made-up blocks never collide. */
function randomHeight(): number {
  return 1 + (crypto.getRandomValues(new Uint32Array(1))[0]! % 0x7ffffffe)
}
