import {
  LockingScript,
  MerklePath,
  P2PKH,
  PrivateKey,
  ProtoWallet,
  PublicKey,
  Random,
  Transaction,
  UnlockingScript,
  Utils,
} from '@bsv/sdk'
import { minedParent } from './mined-parent'
import { fakeChainTracker } from './payments-tracker'
import { TEST_SERVER_IDENTITY_KEY } from './relay'

/**
 * Real payments built offline with @bsv/sdk exactly as @bsv/message-box-client 2.1.1 builds them
 * (MessageBoxClient.createMessagePayment / createMessagePaymentBatch): BRC-29 protocol [2,"3241645161d8"],
 * keyID "<prefix> <suffix>" (base64 of 32 random bytes each), the delivery output first derived by the
 * sender's wallet for the server, then one output per payable recipient derived by the "anyone" wallet,
 * `randomizeOutputs: false` (requested outputs keep their indexes, change last). The wallet's part
 * (createAction) is played by a funding key: a parent transaction paying it, mined in a made-up
 * two-leaf block registered with the fake chain tracker, and the payment spending it with signed P2PKH.
 */

/** The client's payment remittance entry (its `Payment['outputs'][n]`). */
export interface PaymentEntry {
  outputIndex: number
  protocol: 'wallet payment'
  paymentRemittance: { derivationPrefix: string; derivationSuffix: string; senderIdentityKey: string }
  customInstructions?: string
}

/** The `payment` field the client posts. */
export interface ClientPayment {
  tx: number[]
  outputs: PaymentEntry[]
  description: string
}

export interface BuildPaymentOptions {
  /** `single`: createMessagePayment (one recipient); `batch`: createMessagePaymentBatch. Default single. */
  flow?: 'single' | 'batch'
  sender: PrivateKey
  /** The relay's identity key (the quote's delivery agent). */
  serverIdentityKey: string
  /** The quoted delivery fee (paid once); 0 = no delivery output. */
  deliveryFee: number
  /** Recipients in send order with their quoted fees (fee ≤ 0: no output, as the client does). */
  recipients: Array<{ identityKey: string; fee: number }>
  /** Funding inputs (default 1), each from its own output of the one parent transaction. */
  inputs?: number
  /** Satoshis per funding output (default 1000). */
  fundingSatoshis?: number
  /**
   * Unconfirmed transactions between the mined parent and the payment (default 0): each spends every
   * output of the one before and makes as many (`inputs`), a diamond-shaped ancestry.
   */
  unconfirmedDepth?: number
  /** Register the made-up block with the fake tracker (default true). */
  registerBlock?: boolean
  /** Flip a byte of input 0's signature after signing: a script that does not verify. */
  corruptSignature?: boolean
  /**
   * Spend the coins of an earlier payment's funding (its `funding`) instead of new ones: another
   * transaction spending the same outputs, a double spend. Its block is registered already.
   */
  funding?: Funding
  /** Every input spends output 0 of the funding: one coin spent twice, which the network refuses. */
  sameCoinTwice?: boolean
}

/** The mined coins a payment is funded from: a parent paying one output per input to `key`. */
export interface Funding {
  key: PrivateKey
  parent: Transaction
  height: number
  merkleRoot: string
}

export interface BuiltPayment {
  payment: ClientPayment
  /** The payment transaction (linked to its parent). */
  tx: Transaction
  txid: string
  parent: Transaction
  /** The made-up block holding the parent. */
  height: number
  merkleRoot: string
  /** What createAction was asked for: locking script hex and satoshis per requested output. */
  requested: Array<{ lockingScript: string; satoshis: number; customInstructions: string }>
  /** The coins it spent: pass as `funding` to spend them again. */
  funding: Funding
}

const PROTOCOL: [2, string] = [2, '3241645161d8']

/** Builds a payment as the client would; see the module comment. */
export async function buildPayment(options: BuildPaymentOptions): Promise<BuiltPayment> {
  const flow = options.flow ?? 'single'
  if (flow === 'single' && options.recipients.length !== 1)
    throw new Error('the single flow pays one recipient')
  const senderWallet = new ProtoWallet(options.sender)
  const senderIdentityKey = (await senderWallet.getPublicKey({ identityKey: true })).publicKey
  const anyoneWallet = new ProtoWallet('anyone')
  const anyoneIdentityKey = (await anyoneWallet.getPublicKey({ identityKey: true })).publicKey

  const outputs: PaymentEntry[] = []
  const requested: BuiltPayment['requested'] = []
  let outputIndex = 0
  if (options.deliveryFee > 0) {
    const derivationPrefix = Utils.toBase64(Random(32))
    const derivationSuffix = Utils.toBase64(Random(32))
    const { publicKey } = await senderWallet.getPublicKey({
      protocolID: PROTOCOL,
      keyID: `${derivationPrefix} ${derivationSuffix}`,
      counterparty: options.serverIdentityKey,
    })
    requested.push({
      satoshis: options.deliveryFee,
      lockingScript: new P2PKH().lock(PublicKey.fromString(publicKey).toAddress()).toHex(),
      customInstructions: JSON.stringify({
        derivationPrefix,
        derivationSuffix,
        recipientIdentityKey: options.serverIdentityKey,
      }),
    })
    outputs.push({
      outputIndex: outputIndex++,
      protocol: 'wallet payment',
      paymentRemittance: { derivationPrefix, derivationSuffix, senderIdentityKey },
    })
  }
  for (const { identityKey, fee } of options.recipients) {
    if (fee <= 0) continue
    const derivationPrefix = Utils.toBase64(Random(32))
    const derivationSuffix = Utils.toBase64(Random(32))
    const { publicKey } = await anyoneWallet.getPublicKey({
      protocolID: PROTOCOL,
      keyID: `${derivationPrefix} ${derivationSuffix}`,
      counterparty: identityKey,
    })
    requested.push({
      satoshis: fee,
      lockingScript: new P2PKH().lock(PublicKey.fromString(publicKey).toAddress()).toHex(),
      customInstructions: JSON.stringify({
        derivationPrefix,
        derivationSuffix,
        recipientIdentityKey: identityKey,
      }),
    })
    outputs.push({
      outputIndex: outputIndex++,
      protocol: 'wallet payment',
      paymentRemittance: { derivationPrefix, derivationSuffix, senderIdentityKey: anyoneIdentityKey },
    })
  }

  const built = await buildTransaction(requested, options)
  return {
    ...built,
    payment: {
      tx: built.tx.toAtomicBEEF(),
      outputs,
      description: flow === 'single' ? 'MessageBox delivery payment' : 'MessageBox delivery payment (batch)',
    },
    requested,
  }
}

/**
 * A payment for a notification from `sender` to `recipient` (wrangler.toml: 10 sat to the relay, 10 to the
 * recipient) whose `description` is `descriptionBytes` ASCII characters, and the length of the form the relay
 * stores for it with `body`: the reference's wrapper `{"message","payment":{"tx","description","outputs"}}`
 * with the recipient's own output entry. A long description is how a paid send's stored row grows.
 */
export async function paidNotification(
  sender: PrivateKey,
  recipient: string,
  body: string,
  descriptionBytes: number,
) {
  const built = await buildPayment({
    sender,
    serverIdentityKey: TEST_SERVER_IDENTITY_KEY,
    deliveryFee: 10,
    recipients: [{ identityKey: recipient, fee: 10 }],
  })
  const payment = { ...built.payment, description: 'd'.repeat(descriptionBytes) }
  const stored = JSON.stringify({
    message: body,
    payment: { tx: payment.tx, description: payment.description, outputs: [payment.outputs[1]] },
  })
  return { built, payment, storedBytes: new TextEncoder().encode(stored).length }
}

/** The wallet's side of createAction: fund `requested` from a mined parent, change last, sign. */
async function buildTransaction(
  requested: BuiltPayment['requested'],
  options: BuildPaymentOptions,
): Promise<Omit<BuiltPayment, 'payment' | 'requested'>> {
  const inputs = options.inputs ?? 1
  const perInput = options.fundingSatoshis ?? 1000
  const coins = options.funding ?? (await newFunding(inputs, perInput, options.registerBlock ?? true))
  const { key: funding, parent, height, merkleRoot } = coins
  const fundingLock = new P2PKH().lock(funding.toAddress())

  let source = parent
  for (let depth = 0; depth < (options.unconfirmedDepth ?? 0); depth++) {
    const next = new Transaction()
    for (let i = 0; i < inputs; i++) {
      next.addInput({
        sourceTransaction: source,
        sourceOutputIndex: i,
        unlockingScriptTemplate: new P2PKH().unlock(funding),
      })
    }
    for (let i = 0; i < inputs; i++) next.addOutput({ lockingScript: fundingLock, satoshis: perInput })
    await next.sign()
    source = next
  }

  const tx = new Transaction()
  for (let i = 0; i < inputs; i++) {
    tx.addInput({
      sourceTransaction: source,
      sourceOutputIndex: options.sameCoinTwice ? 0 : i,
      unlockingScriptTemplate: new P2PKH().unlock(funding),
    })
  }
  let paid = 0
  for (const r of requested) {
    tx.addOutput({ lockingScript: LockingScript.fromHex(r.lockingScript), satoshis: r.satoshis })
    paid += r.satoshis
  }
  const change = inputs * perInput - paid - 10 * inputs
  if (change > 0) tx.addOutput({ lockingScript: fundingLock, satoshis: change })
  await tx.sign()
  if (options.corruptSignature) {
    const input = tx.inputs[0]!
    const chunks = input.unlockingScript!.chunks
    const sig = [...chunks[0]!.data!]
    sig[8] = sig[8]! ^ 0x01 // inside r: still DER, no longer a valid signature
    input.unlockingScript = new UnlockingScript([{ op: chunks[0]!.op, data: sig }, chunks[1]!])
  }
  return { tx, txid: tx.id('hex'), parent, height, merkleRoot, funding: coins }
}

/** New coins: `inputs` outputs of `satoshis` each to a fresh key, in a made-up block (registered unless not). */
async function newFunding(inputs: number, satoshis: number, register: boolean): Promise<Funding> {
  const key = PrivateKey.fromRandom()
  const mined = minedParent(
    new P2PKH().lock(key.toAddress()),
    Array.from({ length: inputs }, () => satoshis),
  )
  if (register) await fakeChainTracker.registerBlock(mined.height, mined.merkleRoot)
  return { key, ...mined }
}
