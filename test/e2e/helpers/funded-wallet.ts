import {
  type CreateActionArgs,
  type CreateActionResult,
  type InternalizeActionArgs,
  type InternalizeActionResult,
  LockingScript,
  P2PKH,
  PrivateKey,
  Transaction,
} from '@bsv/sdk'
import { MessageBoxClient } from '@bsv/message-box-client'
import { minedParent } from '../../helpers/mined-parent'
import { TestPaymentWallet } from './clients'

/**
 * A wallet that really pays, for the e2e suite (Node). Its createAction builds the transaction the client
 * asks for, as a real wallet would with `randomizeOutputs: false`: the requested outputs in order (locking
 * script hex and satoshis as given), then change. It is funded from a parent transaction paying a funding
 * key, "mined" in a made-up two-leaf block (a MerklePath) whose root is registered with the fake chain
 * tracker (test/fakes/chain-tracker.ts) before createAction returns `{ tx: AtomicBEEF }`.
 *
 * The parent comes from test/helpers/mined-parent.ts, as in the workers suites' payment builder; the block is
 * registered over HTTP here. internalizeAction records what the client tried to take in.
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
  /** When true, the next payment spends the previous one's coin again: a double spend, as a dishonest wallet makes. */
  spendLastCoinAgain = false
  private lastCoin: { key: PrivateKey; parent: Transaction; satoshis: number } | undefined

  constructor(
    rootKey: PrivateKey,
    private readonly chainTrackerUrl: string,
  ) {
    super(rootKey)
  }

  override async createAction(args: CreateActionArgs): Promise<CreateActionResult> {
    this.createdActions.push(args)
    const requested = args.outputs ?? []
    const coin = this.spendLastCoinAgain && this.lastCoin ? this.lastCoin : await this.newCoin(requested)
    this.lastCoin = coin
    const { key: funding, parent, satoshis: fundingSatoshis } = coin
    const fundingLock = new P2PKH().lock(funding.toAddress())

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

  /** A mined coin paying the requested outputs and 1000 sat more, its block registered unless told not to. */
  private async newCoin(requested: NonNullable<CreateActionArgs['outputs']>) {
    const key = PrivateKey.fromRandom()
    const satoshis = 1000 + requested.reduce((sum, o) => sum + o.satoshis, 0)
    const { parent, height, merkleRoot } = minedParent(new P2PKH().lock(key.toAddress()), [satoshis])
    if (this.registerBlocks) await registerBlock(this.chainTrackerUrl, height, merkleRoot)
    this.blockHeights.push(height)
    return { key, parent, satoshis }
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
