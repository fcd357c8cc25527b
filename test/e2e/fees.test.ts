import { execFile } from 'node:child_process'
import { randomInt } from 'node:crypto'
import { promisify } from 'node:util'
import {
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
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeChainTracker, type FakeChainTracker } from '../fakes/chain-tracker'
import { newPlainClient } from './helpers/clients'
import {
  createRelayState,
  removeRelayState,
  startRelay,
  type RelayProcess,
  type RelayState,
} from './helpers/wrangler-dev'

// `npm run fees` (scripts/fees.mjs) against the state of a real `wrangler dev` that accepted one paid send:
// its own relay (not the shared one) verifying payments against the fake chain tracker in this process.
const run = promisify(execFile)
const PROTOCOL: [2, string] = [2, '3241645161d8']
const BOX = 'notifications' // wrangler.toml: 10 sat delivery fee + 10 sat default recipient fee

interface Remittance {
  derivationPrefix: string
  derivationSuffix: string
  senderIdentityKey: string
}

/** A BRC-29 output to `counterparty` derived by `wallet`, as message-box-client 2.1.1 requests it. */
async function derivedOutput(wallet: ProtoWallet, counterparty: string) {
  const derivationPrefix = Utils.toBase64(Random(32))
  const derivationSuffix = Utils.toBase64(Random(32))
  const { publicKey } = await wallet.getPublicKey({
    protocolID: PROTOCOL,
    keyID: `${derivationPrefix} ${derivationSuffix}`,
    counterparty,
  })
  const senderIdentityKey = (await wallet.getPublicKey({ identityKey: true })).publicKey
  return {
    lockingScript: new P2PKH().lock(PublicKey.fromString(publicKey).toAddress()),
    remittance: { derivationPrefix, derivationSuffix, senderIdentityKey } satisfies Remittance,
  }
}

/**
 * The payment of one single-recipient send, built offline like test/helpers/payments.ts (which only runs
 * in workerd): output 0 the relay's delivery fee, output 1 the recipient's fee through the "anyone" key,
 * funded by a parent mined in a made-up block that the fake tracker knows.
 */
async function buildPayment(
  sender: PrivateKey,
  serverIdentityKey: string,
  recipient: string,
  tracker: FakeChainTracker,
) {
  const delivery = await derivedOutput(new ProtoWallet(sender), serverIdentityKey)
  const toRecipient = await derivedOutput(new ProtoWallet('anyone'), recipient)

  const funding = PrivateKey.fromRandom()
  const parent = new Transaction()
  parent.addInput({
    sourceTXID: Utils.toHex(Random(32)),
    sourceOutputIndex: 0,
    unlockingScript: new UnlockingScript(),
    sequence: 0xffffffff,
  })
  parent.addOutput({ lockingScript: new P2PKH().lock(funding.toAddress()), satoshis: 1000 })
  const height = randomInt(1, 0x7fffffff)
  const parentTxid = parent.id('hex')
  parent.merklePath = new MerklePath(height, [
    [
      { offset: 0, hash: Utils.toHex(Random(32)) },
      { offset: 1, hash: parentTxid, txid: true },
    ],
  ])
  const registered = await fetch(`${tracker.url}/_blocks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ height, merkleroot: parent.merklePath.computeRoot(parentTxid) }),
  })
  expect(registered.status).toBe(200)

  const tx = new Transaction()
  tx.addInput({
    sourceTransaction: parent,
    sourceOutputIndex: 0,
    unlockingScriptTemplate: new P2PKH().unlock(funding),
  })
  tx.addOutput({ lockingScript: delivery.lockingScript, satoshis: 10 })
  tx.addOutput({ lockingScript: toRecipient.lockingScript, satoshis: 10 })
  tx.addOutput({ lockingScript: new P2PKH().lock(funding.toAddress()), satoshis: 970 })
  await tx.sign()
  return {
    txid: tx.id('hex'),
    tx,
    payment: {
      tx: tx.toAtomicBEEF(),
      outputs: [
        { outputIndex: 0, protocol: 'wallet payment', paymentRemittance: delivery.remittance },
        { outputIndex: 1, protocol: 'wallet payment', paymentRemittance: toRecipient.remittance },
      ],
      description: 'MessageBox delivery payment',
    },
  }
}

/** `node scripts/fees.mjs …args` from the project root; stdout and stderr. */
function fees(...args: string[]) {
  return run(process.execPath, ['scripts/fees.mjs', ...args], { maxBuffer: 64 << 20, timeout: 60_000 })
}

describe('npm run fees: the delivery fees a real wrangler dev recorded', () => {
  let tracker: FakeChainTracker
  let state: RelayState
  let relay: RelayProcess | undefined

  beforeAll(async () => {
    tracker = await startFakeChainTracker()
    state = createRelayState()
    relay = await startRelay(state, { vars: { CHAIN_TRACKER_URL: tracker.url, HANDSHAKE_RATE_LIMIT: '0' } })
  })
  afterAll(async () => {
    await relay?.stop()
    if (state) removeRelayState(state)
    await tracker?.close()
  })

  it('export prints the one paid send as internalizeAction args the server key can claim; list totals it', async () => {
    const senderKey = PrivateKey.fromRandom()
    const alice = newPlainClient(relay!.url, senderKey)
    const bob = newPlainClient(relay!.url)
    const built = await buildPayment(senderKey, state.serverIdentityKey, bob.identityKey, tracker)
    const sent = await alice.post('/sendMessage', {
      message: { recipient: bob.identityKey, messageBox: BOX, body: 'paid hello', messageId: 'fees-e2e' },
      payment: built.payment,
    })
    expect(sent, JSON.stringify(sent.body)).toMatchObject({ status: 200, body: { status: 'success' } })

    // D1 writes in wrangler dev are visible to `wrangler d1 execute --local` on the same state directory.
    const exported = JSON.parse((await fees('export', '--persist-to', state.persistTo)).stdout)
    const remittance = built.payment.outputs[0]!.paymentRemittance
    expect(exported).toEqual([
      {
        tx: built.payment.tx,
        outputs: [{ outputIndex: 0, protocol: 'wallet payment', paymentRemittance: remittance }],
        description: expect.any(String),
      },
    ])
    const [entry] = exported
    expect(Buffer.byteLength(entry.description)).toBeGreaterThanOrEqual(5)
    expect(Buffer.byteLength(entry.description)).toBeLessThanOrEqual(50)
    expect(remittance.senderIdentityKey).toBe(alice.identityKey)

    // The exported bytes are the send's transaction, and the relay's own key derives its output 0.
    const tx = Transaction.fromAtomicBEEF(entry.tx)
    expect(tx.id('hex')).toBe(built.txid)
    const { derivationPrefix, derivationSuffix, senderIdentityKey } = entry.outputs[0].paymentRemittance
    const relayWallet = new ProtoWallet(PrivateKey.fromString(state.serverPrivateKey, 'hex'))
    const { publicKey } = await relayWallet.getPublicKey({
      protocolID: PROTOCOL,
      keyID: `${derivationPrefix} ${derivationSuffix}`,
      counterparty: senderIdentityKey,
      forSelf: true,
    })
    expect(new P2PKH().lock(PublicKey.fromString(publicKey).toAddress()).toHex()).toBe(
      tx.outputs[0]!.lockingScript.toHex(),
    )
    expect(tx.outputs[0]!.satoshis).toBe(10)

    const listed = (await fees('list', '--persist-to', state.persistTo)).stdout
    const row = listed.split('\n').find((line) => line.startsWith(built.txid))
    expect(row?.split(/\s+/)).toEqual([
      built.txid,
      '10',
      alice.identityKey,
      expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    ])
    expect(listed).toMatch(/^Total: 10 satoshis in 1 payment$/m)

    // --since after the send: nothing.
    const later = new Date(Date.now() + 60_000).toISOString()
    expect(
      JSON.parse((await fees('export', '--persist-to', state.persistTo, '--since', later)).stdout),
    ).toEqual([])
  })
})
