import { PrivateKey } from '@bsv/sdk'
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { privateKeyFromHex, publicKeyFromHex } from '../../src/crypto/brc42'
import { createDb } from '../../src/db/client'
import { findClaimConflict } from '../../src/db/payment-claims'
import { broadcastPayment } from '../../src/payments/broadcast'
import { scanAtomicBeef } from '../../src/payments/beef-scan'
import { AnyonePaymentKeys, serverPaymentKey } from '../../src/payments/brc29'
import { chainTrackerFor } from '../../src/payments/chain-tracker'
import { DEFAULT_PAYMENT_LIMITS } from '../../src/payments/limits'
import { parseAtomicBeef } from '../../src/payments/transaction-verify'
import { verifyPayment } from '../../src/payments/verify-payment'
import { buildPayment } from '../helpers/payments'
import { fakeArc } from '../helpers/payments-arc'
import { fakeChainTracker } from '../helpers/payments-tracker'
import { TEST_SERVER_IDENTITY_KEY } from '../helpers/relay'

const RUNS = 20

/** Mean ms per call of `step` over RUNS calls (the test runtime's clock has 1 ms resolution). */
async function mean(step: () => unknown): Promise<number> {
  const start = performance.now()
  for (let i = 0; i < RUNS; i++) await step()
  return (performance.now() - start) / RUNS
}

/** A payment (delivery 10 sat, recipient 5 sat) as the client builds it, and verifyPayment's input for it. */
async function paidSend(inputs: number) {
  const sender = PrivateKey.fromRandom()
  const recipient = PrivateKey.fromRandom().toPublicKey().toString()
  const recipients = [{ identityKey: recipient, fee: 5 }]
  const built = await buildPayment({
    serverIdentityKey: TEST_SERVER_IDENTITY_KEY,
    sender,
    deliveryFee: 10,
    recipients,
    inputs,
  })
  const input = {
    payment: built.payment,
    sender: sender.toPublicKey().toString(),
    serverPrivateKey: env.SERVER_PRIVATE_KEY,
    deliveryFee: 10,
    recipients,
    tracker: chainTrackerFor(env.CHAIN_TRACKER_URL),
  }
  return { built, input, recipient }
}

/**
 * The cost of verifying a paid send inside workerd, printed for docs/performance.md (not a pass/fail budget).
 * The block's root is confirmed once first, as in an isolate that has seen it: what remains is parsing,
 * derivations and script checks. Other test files share the two cores: run this file alone to measure.
 */
describe('verifyPayment cost (workerd)', () => {
  for (const inputs of [1, 10]) {
    it(`prints ms per verification of a ${inputs}-input payment (delivery + recipient fee) and per step`, async () => {
      const { built, input, recipient } = await paidSend(inputs)
      expect((await verifyPayment(input)).ok).toBe(true) // warm: root cached, code paths compiled
      const total = await mean(async () => expect((await verifyPayment(input)).ok).toBe(true))
      expect(await fakeChainTracker.requests(built.height)).toBe(1)

      const bytes = Uint8Array.from(built.payment.tx)
      const parse = await mean(() =>
        parseAtomicBeef(bytes, scanAtomicBeef(bytes, DEFAULT_PAYMENT_LIMITS).subjectTxid),
      )
      const { derivationPrefix: p0, derivationSuffix: s0 } = built.payment.outputs[0]!.paymentRemittance
      const { derivationPrefix: p1, derivationSuffix: s1 } = built.payment.outputs[1]!.paymentRemittance
      const serverKey = privateKeyFromHex(env.SERVER_PRIVATE_KEY)
      const senderPoint = publicKeyFromHex(input.sender)
      const delivery = await mean(() => serverPaymentKey(serverKey, senderPoint, p0, s0))
      const anyone = await mean(() => new AnyonePaymentKeys(publicKeyFromHex(recipient)).derive(p1, s1))
      const scripts = await mean(async () => {
        const tx = parseAtomicBeef(bytes, built.txid)
        expect(await tx.verify('scripts only')).toBe(true)
      })
      console.log(
        `verifyPayment, ${inputs} input(s), ${bytes.length} B BEEF: ${total.toFixed(1)} ms per verification ` +
          `(scan+parse ${parse.toFixed(1)}, delivery key ${delivery.toFixed(1)}, recipient key ${anyone.toFixed(1)}, ` +
          `parse+scripts ${scripts.toFixed(1)} ms), mean of ${RUNS}`,
      )
    })
  }
})

/**
 * What the double-spend protection adds to a paid send, printed for docs/performance.md: the claims lookup (one D1
 * query) and the broadcast (one round trip to ARC: here the fake ARC in this machine's Node process, so
 * what remains is the relay's own side of the call; a real ARC adds its network distance and its own
 * processing, up to its X-MaxTimeout wait).
 */
describe('double-spend protection cost (workerd, fake ARC on loopback)', () => {
  it('prints ms per claims lookup and per broadcast of a verified 1-input payment', async () => {
    const { built, input } = await paidSend(1)
    const verified = await verifyPayment(input)
    if (!verified.ok) throw new Error(JSON.stringify(verified.refusal))
    const claim = {
      payment: { txid: built.txid, sender: 'x', createdAt: 0 },
      spends: verified.payment.spends,
    }
    const db = createDb(env.DB)
    const broadcaster = { url: env.ARC_URL }
    expect(await broadcastPayment(verified.payment.transaction, broadcaster)).toBeNull() // warm
    const lookup = await mean(async () => expect(await findClaimConflict(db, claim)).toBeNull())
    const broadcast = await mean(async () =>
      expect(await broadcastPayment(verified.payment.transaction, broadcaster)).toBeNull(),
    )
    expect((await fakeArc.submissions(built.txid)).count).toBe(RUNS + 1)
    console.log(
      `paid send, double-spend protection: claims lookup ${lookup.toFixed(1)} ms, broadcast to a loopback ARC ` +
        `${broadcast.toFixed(1)} ms, mean of ${RUNS}`,
    )
  })
})
