import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { P2PKH, PrivateKey, ProtoWallet, PublicKey, Transaction } from '@bsv/sdk'
import { describe, expect, inject, it } from 'vitest'
import { newIdentity, withTimeout } from './helpers/clients'
import { newFundedIdentity } from './helpers/funded-wallet'

// `npm run fees` (scripts/fees.mjs) against the state of the run's shared `wrangler dev` (its --persist-to
// directory, test/e2e/global-setup.ts), read with --since the moment before this test's one paid send: the
// e2e files run one at a time, so that window holds this payment only.
const run = promisify(execFile)
const PROTOCOL: [2, string] = [2, '3241645161d8']

/** `node scripts/fees.mjs …args` from the project root; stdout and stderr. */
function fees(...args: string[]) {
  return run(process.execPath, ['scripts/fees.mjs', ...args], { maxBuffer: 64 << 20, timeout: 60_000 })
}

describe('npm run fees: the delivery fees a real wrangler dev recorded', () => {
  const host = inject('relayUrl')
  const persistTo = inject('relayPersistTo')
  const tracker = { url: inject('fakeChainTrackerUrl') }

  it('export prints the one paid send as internalizeAction args the server key can claim; list totals it', async () => {
    // The real client pays a notification (wrangler.toml: 10 sat to the relay, 10 to the recipient).
    const alice = newFundedIdentity('alice', host, tracker.url)
    const bob = newIdentity('bob', host)
    const since = new Date().toISOString()
    await withTimeout(alice.client.sendNotification(bob.identityKey, 'paid hello', host), 'notify')
    const [paid] = alice.wallet.createdTransactions

    // D1 writes in wrangler dev are visible to `wrangler d1 execute --local` on the same state directory.
    const exported = JSON.parse((await fees('export', '--persist-to', persistTo, '--since', since)).stdout)
    expect(exported).toEqual([
      {
        tx: expect.any(Array),
        outputs: [
          {
            outputIndex: 0,
            protocol: 'wallet payment',
            paymentRemittance: {
              derivationPrefix: expect.any(String),
              derivationSuffix: expect.any(String),
              senderIdentityKey: alice.identityKey,
            },
          },
        ],
        description: expect.any(String),
      },
    ])
    const [entry] = exported
    expect(Buffer.byteLength(entry.description)).toBeGreaterThanOrEqual(5)
    expect(Buffer.byteLength(entry.description)).toBeLessThanOrEqual(50)

    // The exported bytes are the transaction the sender's wallet made, and the relay's own key derives output 0.
    const tx = Transaction.fromAtomicBEEF(entry.tx)
    expect(tx.id('hex')).toBe(paid!.id('hex'))
    const { derivationPrefix, derivationSuffix, senderIdentityKey } = entry.outputs[0].paymentRemittance
    const relayWallet = new ProtoWallet(PrivateKey.fromString(inject('relayServerPrivateKey'), 'hex'))
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

    const listed = (await fees('list', '--persist-to', persistTo, '--since', since)).stdout
    const row = listed.split('\n').find((line) => line.startsWith(tx.id('hex')))
    expect(row?.split(/\s+/)).toEqual([
      tx.id('hex'),
      '10',
      alice.identityKey,
      expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    ])
    expect(listed).toMatch(/^Total: 10 satoshis in 1 payment$/m)

    // --since after the send: nothing.
    const later = new Date(Date.now() + 60_000).toISOString()
    expect(JSON.parse((await fees('export', '--persist-to', persistTo, '--since', later)).stdout)).toEqual([])
  })
})
