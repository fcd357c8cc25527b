import { PrivateKey } from '@bsv/sdk'
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { privateKeyFromHex, publicKeyFromHex } from '../../src/crypto/brc42'
import { scanAtomicBeef } from '../../src/payments/beef-scan'
import { AnyonePaymentKeys, serverPaymentKey } from '../../src/payments/brc29'
import { chainTrackerFor } from '../../src/payments/chain-tracker'
import { DEFAULT_PAYMENT_LIMITS } from '../../src/payments/limits'
import { parseAtomicBeef } from '../../src/payments/transaction-verify'
import { verifyPayment } from '../../src/payments/verify-payment'
import { buildPayment } from '../helpers/payments'
import { fakeChainTracker } from '../helpers/payments-tracker'
import { TEST_SERVER_IDENTITY_KEY } from '../helpers/relay'

const RUNS = 20

/** Mean ms per call of `step` over RUNS calls (the test runtime's clock has 1 ms resolution). */
async function mean(step: () => unknown): Promise<number> {
  const start = performance.now()
  for (let i = 0; i < RUNS; i++) await step()
  return (performance.now() - start) / RUNS
}

/**
 * The cost of verifying a paid send inside workerd, printed for the README (not a pass/fail budget).
 * The block's root is confirmed once first, as in an isolate that has seen it: what remains is parsing,
 * derivations and script checks. Other test files share the two cores: run this file alone to measure.
 */
describe('verifyPayment cost (workerd)', () => {
  for (const inputs of [1, 10]) {
    it(`prints ms per verification of a ${inputs}-input payment (delivery + recipient fee) and per step`, async () => {
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
