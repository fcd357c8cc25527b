import { LockingScript, MerklePath, OP, PrivateKey, Transaction, UnlockingScript, Utils } from '@bsv/sdk'
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { HttpChainTracker } from '../../src/payments/chain-tracker'
import {
  verifyPayment,
  type VerifyPaymentInput,
  type VerifyPaymentResult,
} from '../../src/payments/verify-payment'
import { DEFAULT_PAYMENT_LIMITS } from '../../src/payments/limits'
import { buildPayment, type BuildPaymentOptions, type ClientPayment } from '../helpers/payments'
import { fakeChainTracker, randomHeight } from '../helpers/payments-tracker'
import { TEST_SERVER_IDENTITY_KEY } from '../helpers/relay'

const newKey = () => PrivateKey.fromRandom()
const pub = (key: PrivateKey) => key.toPublicKey().toString()

function tracker() {
  return new HttpChainTracker({ baseUrl: env.CHAIN_TRACKER_URL })
}

/** Verifies as the relay would for `sender` (default: the payment's builder). */
function verify(payment: unknown, input: Partial<VerifyPaymentInput> & Pick<VerifyPaymentInput, 'sender'>) {
  return verifyPayment({
    payment,
    serverPrivateKey: env.SERVER_PRIVATE_KEY,
    deliveryFee: 0,
    recipients: [],
    tracker: tracker(),
    ...input,
  })
}

function build(options: Omit<BuildPaymentOptions, 'serverIdentityKey'>) {
  return buildPayment({ serverIdentityKey: TEST_SERVER_IDENTITY_KEY, ...options })
}

function expectRefused(result: VerifyPaymentResult, code: string, status = 400, description?: RegExp) {
  expect(result.ok ? 'accepted' : result.refusal.code, JSON.stringify(result)).toBe(code)
  if (!result.ok) {
    expect(result.refusal.status).toBe(status)
    if (description) expect(result.refusal.description).toMatch(description)
  }
}

function accepted(result: VerifyPaymentResult) {
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.refusal)}`)
  return result.payment
}

/** A single-recipient send paying delivery 10 and recipient fee 5, as sendNotification does. */
async function singlePaid() {
  const sender = newKey()
  const recipient = pub(newKey())
  const built = await build({ sender, deliveryFee: 10, recipients: [{ identityKey: recipient, fee: 5 }] })
  const input = { sender: pub(sender), deliveryFee: 10, recipients: [{ identityKey: recipient, fee: 5 }] }
  return { sender, recipient, built, input }
}

const clone = (payment: ClientPayment): ClientPayment => structuredClone(payment)

describe('verifyPayment: accepted', () => {
  it('a single-recipient payment with delivery and recipient fee, built as the client builds it', async () => {
    const { built, input, recipient, sender } = await singlePaid()
    const payment = accepted(await verify(built.payment, input))
    expect(payment.txid).toBe(built.txid)
    expect(payment.tx).toEqual(built.payment.tx)
    expect(payment.recipients).toEqual([
      { identityKey: recipient, fee: 5, outputs: [built.payment.outputs[1]], outputIndex: 1, satoshis: 5 },
    ])
    expect(payment.delivery).toEqual({
      txid: built.txid,
      vout: 0,
      satoshis: 10,
      derivationPrefix: built.payment.outputs[0]!.paymentRemittance.derivationPrefix,
      derivationSuffix: built.payment.outputs[0]!.paymentRemittance.derivationSuffix,
      senderIdentityKey: pub(sender),
      beef: Uint8Array.from(built.payment.tx),
    })
  })

  it('returns the recipient entries as the same objects it was given (unchanged)', async () => {
    const { built, input } = await singlePaid()
    const payment = accepted(await verify(built.payment, input))
    expect(payment.recipients[0]!.outputs[0]).toBe(built.payment.outputs[1])
  })

  it('a payment whose tx is the {"0":…} JSON form of a Uint8Array, normalized to an array', async () => {
    const { built, input } = await singlePaid()
    const asObject = JSON.parse(JSON.stringify({ ...built.payment, tx: Uint8Array.from(built.payment.tx) }))
    expect(Array.isArray(asObject.tx)).toBe(false)
    const payment = accepted(await verify(asObject, input))
    expect(payment.tx).toEqual(built.payment.tx)
  })

  it('a recipient fee alone: the recipient output is at index 0 and output 0 is not the relay’s', async () => {
    const sender = newKey()
    const recipient = pub(newKey())
    const built = await build({ sender, deliveryFee: 0, recipients: [{ identityKey: recipient, fee: 7 }] })
    const payment = accepted(
      await verify(built.payment, { sender: pub(sender), recipients: [{ identityKey: recipient, fee: 7 }] }),
    )
    expect(payment.delivery).toBeNull()
    expect(payment.recipients[0]!.outputIndex).toBe(0)
  })

  it('a batch by position: each payable recipient gets exactly its own entry; free ones are skipped', async () => {
    const sender = newKey()
    const [a, b, c] = [pub(newKey()), pub(newKey()), pub(newKey())]
    const recipients = [
      { identityKey: a, fee: 5 },
      { identityKey: b, fee: 0 },
      { identityKey: c, fee: 7 },
    ]
    const built = await build({ flow: 'batch', sender, deliveryFee: 10, recipients })
    expect(built.payment.outputs.map((o) => o.outputIndex)).toEqual([0, 1, 2])
    const payment = accepted(
      await verify(built.payment, { sender: pub(sender), deliveryFee: 10, recipients }),
    )
    expect(payment.recipients.map((r) => [r.identityKey, r.outputs])).toEqual([
      [a, [built.payment.outputs[1]]],
      [c, [built.payment.outputs[2]]],
    ])
  })

  it('a batch located by customInstructions.recipientIdentityKey when the entries are out of order', async () => {
    const sender = newKey()
    const [a, b] = [pub(newKey()), pub(newKey())]
    const recipients = [
      { identityKey: a, fee: 5 },
      { identityKey: b, fee: 6 },
    ]
    const built = await build({ flow: 'batch', sender, deliveryFee: 10, recipients })
    const payment = clone(built.payment)
    // Another client sends its customInstructions and lists the recipient entries in another order.
    payment.outputs[1]!.customInstructions = built.requested[1]!.customInstructions
    payment.outputs[2]!.customInstructions = built.requested[2]!.customInstructions
    payment.outputs = [payment.outputs[0]!, payment.outputs[2]!, payment.outputs[1]!]
    const result = accepted(await verify(payment, { sender: pub(sender), deliveryFee: 10, recipients }))
    expect(result.recipients.map((r) => [r.identityKey, r.outputIndex, r.outputs])).toEqual([
      [a, 1, [payment.outputs[2]]],
      [b, 2, [payment.outputs[1]]],
    ])
  })

  it('a recipient whose fee changed since the quote: the next entry that pays the other one is found', async () => {
    const sender = newKey()
    const [a, b] = [pub(newKey()), pub(newKey())]
    const built = await build({
      flow: 'batch',
      sender,
      deliveryFee: 10,
      recipients: [
        { identityKey: a, fee: 5 },
        { identityKey: b, fee: 5 },
      ],
    })
    // a now asks nothing: b is the first payable recipient but its output is the second entry.
    const recipients = [
      { identityKey: a, fee: 0 },
      { identityKey: b, fee: 5 },
    ]
    const payment = accepted(
      await verify(built.payment, { sender: pub(sender), deliveryFee: 10, recipients }),
    )
    expect(payment.recipients.map((r) => [r.identityKey, r.outputIndex])).toEqual([[b, 2]])
  })

  it('a payment funded by 10 inputs', async () => {
    const { recipient, sender, input } = await singlePaid()
    const built = await build({
      sender,
      deliveryFee: 10,
      recipients: [{ identityKey: recipient, fee: 5 }],
      inputs: 10,
    })
    expect(built.tx.inputs).toHaveLength(10)
    expect(accepted(await verify(built.payment, input)).txid).toBe(built.txid)
  })

  it('a diamond-shaped unconfirmed ancestry (20 deep, 2 inputs each) is linked once per transaction', async () => {
    // The SDK's own linker (Transaction.fromAtomicBEEF) recurses per input: 2^20 visits here.
    const { recipient, sender, input } = await singlePaid()
    const built = await build({
      sender,
      deliveryFee: 10,
      recipients: [{ identityKey: recipient, fee: 5 }],
      inputs: 2,
      unconfirmedDepth: 20,
    })
    expect(accepted(await verify(built.payment, input)).txid).toBe(built.txid)
  })

  it('outputs beyond what is owed (a larger payment) are accepted', async () => {
    const sender = newKey()
    const recipient = pub(newKey())
    const built = await build({ sender, deliveryFee: 12, recipients: [{ identityKey: recipient, fee: 9 }] })
    const payment = accepted(
      await verify(built.payment, {
        sender: pub(sender),
        deliveryFee: 10,
        recipients: [{ identityKey: recipient, fee: 5 }],
      }),
    )
    expect([payment.delivery!.satoshis, payment.recipients[0]!.satoshis]).toEqual([12, 9])
  })
})

describe('verifyPayment: refused', () => {
  it('400 ERR_INVALID_PAYMENT: payment or tx of the wrong type', async () => {
    const { built, input } = await singlePaid()
    for (const payment of [
      null,
      'x',
      [],
      { ...built.payment, tx: 'deadbeef' },
      { ...built.payment, tx: [] },
      { ...built.payment, tx: [...built.payment.tx.slice(0, -1), 256] },
      { ...built.payment, tx: [...built.payment.tx.slice(0, -1), 1.5] },
      { ...built.payment, tx: { 0: 1, 2: 1 } },
      { ...built.payment, outputs: {} },
      { ...built.payment, outputs: [{ ...built.payment.outputs[0], outputIndex: -1 }] },
      { ...built.payment, outputs: [{ ...built.payment.outputs[0], paymentRemittance: null }] },
    ]) {
      expectRefused(await verify(payment, input), 'ERR_INVALID_PAYMENT')
    }
  })

  it('400 ERR_INVALID_PAYMENT: BEEF that does not parse (truncated, trailing bytes, not AtomicBEEF, forged count)', async () => {
    const { built, input } = await singlePaid()
    const tx = built.payment.tx
    const forgedBumpCount = [...tx.slice(0, 40), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]
    for (const [bytes, reason] of [
      [tx.slice(0, tx.length - 1), /ends in the middle/],
      [[...tx, 0], /bytes after its last transaction/],
      [tx.slice(36), /not AtomicBEEF/],
      [forgedBumpCount, /count of BUMPs/],
    ] as const) {
      expectRefused(await verify({ ...built.payment, tx: bytes }, input), 'ERR_INVALID_PAYMENT', 400, reason)
    }
  })

  it('400 ERR_INVALID_PAYMENT: AtomicBEEF whose header names a transaction it does not hold', async () => {
    const { built, input } = await singlePaid()
    const tx = [...built.payment.tx]
    tx[4] = tx[4]! ^ 0xff
    expectRefused(
      await verify({ ...built.payment, tx }, input),
      'ERR_INVALID_PAYMENT',
      400,
      /subject transaction/,
    )
  })

  it('400 ERR_INVALID_PAYMENT: a BEEF over the byte limit, before reading it', async () => {
    const { built, input } = await singlePaid()
    const tx = new Array<number>(DEFAULT_PAYMENT_LIMITS.maxBeefBytes + 1).fill(0)
    expectRefused(
      await verify({ ...built.payment, tx }, input),
      'ERR_INVALID_PAYMENT',
      400,
      /larger than 262144 bytes/,
    )
  })

  it('400 ERR_INVALID_PAYMENT: more inputs to execute than the limit', async () => {
    const { recipient, sender, input } = await singlePaid()
    const built = await build({
      sender,
      deliveryFee: 10,
      recipients: [{ identityKey: recipient, fee: 5 }],
      inputs: 3,
    })
    expectRefused(
      await verify(built.payment, { ...input, limits: { maxExecutedInputs: 2 } }),
      'ERR_INVALID_PAYMENT',
      400,
      /more than 2 unconfirmed inputs/,
    )
  })

  it('400 ERR_INVALID_PAYMENT: scripts costlier than the budget, refused before they run', async () => {
    const sender = newKey()
    // A mined parent whose output is locked by 300 hashes, spent by the payment.
    const parent = new Transaction()
    parent.addInput({
      sourceTXID: '00'.repeat(32),
      sourceOutputIndex: 0,
      unlockingScript: new UnlockingScript(),
      sequence: 0,
    })
    parent.addOutput({
      lockingScript: new LockingScript([
        ...Array.from({ length: 300 }, () => ({ op: OP.OP_SHA256 })),
        { op: OP.OP_DROP },
        { op: OP.OP_TRUE },
      ]),
      satoshis: 100,
    })
    const height = randomHeight()
    parent.merklePath = new MerklePath(height, [
      [
        { offset: 0, hash: '11'.repeat(32) },
        { offset: 1, hash: parent.id('hex'), txid: true },
      ],
    ])
    await fakeChainTracker.registerBlock(height, parent.merklePath.computeRoot(parent.id('hex')))
    const tx = new Transaction()
    tx.addInput({
      sourceTransaction: parent,
      sourceOutputIndex: 0,
      unlockingScript: new UnlockingScript([{ op: OP.OP_TRUE }]),
    })
    tx.addOutput({ lockingScript: new LockingScript([{ op: OP.OP_TRUE }]), satoshis: 50 })
    const payment = { tx: tx.toAtomicBEEF(), outputs: [], description: 'x' }
    expectRefused(
      await verify(payment, { sender: pub(sender) }),
      'ERR_INVALID_PAYMENT',
      400,
      /300 costly opcodes/,
    )
    expect(await fakeChainTracker.requests(height)).toBe(0)
  })

  it('400 ERR_INVALID_PAYMENT: a merkle root the tracker does not know (its 404 has an empty JSON body)', async () => {
    const { recipient, sender, input } = await singlePaid()
    const built = await build({
      sender,
      deliveryFee: 10,
      recipients: [{ identityKey: recipient, fee: 5 }],
      registerBlock: false,
    })
    expectRefused(await verify(built.payment, input), 'ERR_INVALID_PAYMENT', 400, /Invalid merkle path/)
    expect(await fakeChainTracker.requests(built.height)).toBe(1)
  })

  it('400 ERR_INVALID_PAYMENT: a merkle root other than the block’s', async () => {
    const { built, input } = await singlePaid()
    await fakeChainTracker.registerBlock(built.height, 'ab'.repeat(32))
    expectRefused(await verify(built.payment, input), 'ERR_INVALID_PAYMENT', 400, /Invalid merkle path/)
  })

  it('400 ERR_INVALID_PAYMENT: an input script that does not verify (a corrupted signature)', async () => {
    const { recipient, sender, input } = await singlePaid()
    const built = await build({
      sender,
      deliveryFee: 10,
      recipients: [{ identityKey: recipient, fee: 5 }],
      corruptSignature: true,
    })
    expectRefused(await verify(built.payment, input), 'ERR_INVALID_PAYMENT', 400, /does not verify/)
  })

  it('400 ERR_INSUFFICIENT_PAYMENT: the delivery output short by 1 satoshi', async () => {
    const { recipient, sender, input } = await singlePaid()
    const built = await build({ sender, deliveryFee: 9, recipients: [{ identityKey: recipient, fee: 5 }] })
    expectRefused(
      await verify(built.payment, input),
      'ERR_INSUFFICIENT_PAYMENT',
      400,
      /pays 9 satoshis; the delivery fee is 10/,
    )
  })

  it('400 ERR_INSUFFICIENT_PAYMENT: no delivery output when one is owed', async () => {
    const { recipient, sender, input } = await singlePaid()
    const built = await build({ sender, deliveryFee: 0, recipients: [{ identityKey: recipient, fee: 5 }] })
    expectRefused(await verify(built.payment, input), 'ERR_INSUFFICIENT_PAYMENT')
  })

  it('400 ERR_INSUFFICIENT_PAYMENT: a delivery entry naming someone else as senderIdentityKey', async () => {
    const { built, input } = await singlePaid()
    const payment = clone(built.payment)
    payment.outputs[0]!.paymentRemittance.senderIdentityKey = pub(newKey())
    expectRefused(await verify(payment, input), 'ERR_INSUFFICIENT_PAYMENT', 400, /senderIdentityKey/)
  })

  it('400 ERR_INSUFFICIENT_PAYMENT: a payment another identity built (its senderIdentityKey), sent by someone else', async () => {
    const { built, input } = await singlePaid()
    const thief = pub(newKey())
    expectRefused(
      await verify(built.payment, { ...input, sender: thief }),
      'ERR_INSUFFICIENT_PAYMENT',
      400,
      /senderIdentityKey/,
    )
  })

  it('400 ERR_INSUFFICIENT_PAYMENT: output 0 derived for another server', async () => {
    const sender = newKey()
    const recipient = pub(newKey())
    const built = await buildPayment({
      serverIdentityKey: pub(newKey()),
      sender,
      deliveryFee: 10,
      recipients: [{ identityKey: recipient, fee: 5 }],
    })
    expectRefused(
      await verify(built.payment, {
        sender: pub(sender),
        deliveryFee: 10,
        recipients: [{ identityKey: recipient, fee: 5 }],
      }),
      'ERR_INSUFFICIENT_PAYMENT',
      400,
      /relay's key/,
    )
  })

  it('400 ERR_MISSING_RECIPIENT_OUTPUTS: the recipient output paid to another key', async () => {
    const { sender, input } = await singlePaid()
    const built = await build({
      sender,
      deliveryFee: 10,
      recipients: [{ identityKey: pub(newKey()), fee: 5 }],
    })
    expectRefused(
      await verify(built.payment, input),
      'ERR_MISSING_RECIPIENT_OUTPUTS',
      400,
      /No output pays recipient/,
    )
  })

  it('400 ERR_MISSING_RECIPIENT_OUTPUTS: the recipient output short by 1 satoshi', async () => {
    const { recipient, sender, input } = await singlePaid()
    const built = await build({ sender, deliveryFee: 10, recipients: [{ identityKey: recipient, fee: 4 }] })
    expectRefused(
      await verify(built.payment, input),
      'ERR_MISSING_RECIPIENT_OUTPUTS',
      400,
      /pays it 4 satoshis/,
    )
  })

  it('400 ERR_MISSING_RECIPIENT_OUTPUTS: an outputIndex out of range', async () => {
    const { built, input } = await singlePaid()
    const payment = clone(built.payment)
    payment.outputs[1]!.outputIndex = 99
    expectRefused(await verify(payment, input), 'ERR_MISSING_RECIPIENT_OUTPUTS', 400, /out of range/)
  })

  it('400 ERR_MISSING_RECIPIENT_OUTPUTS: an outputIndex claimed twice (the delivery output’s, or another entry’s)', async () => {
    const { built, input } = await singlePaid()
    const onDelivery = clone(built.payment)
    onDelivery.outputs[1]!.outputIndex = 0
    expectRefused(
      await verify(onDelivery, input),
      'ERR_MISSING_RECIPIENT_OUTPUTS',
      400,
      /claimed by another entry/,
    )
    const twice = clone(built.payment)
    twice.outputs.push(clone(built.payment).outputs[1]!)
    expectRefused(
      await verify(twice, input),
      'ERR_MISSING_RECIPIENT_OUTPUTS',
      400,
      /claimed by another entry/,
    )
  })

  it('400 ERR_MISSING_RECIPIENT_OUTPUTS: a customInstructions naming a recipient its output does not pay', async () => {
    const sender = newKey()
    const [a, b] = [pub(newKey()), pub(newKey())]
    const recipients = [
      { identityKey: a, fee: 5 },
      { identityKey: b, fee: 5 },
    ]
    const built = await build({ flow: 'batch', sender, deliveryFee: 10, recipients })
    const payment = clone(built.payment)
    payment.outputs[1]!.customInstructions = JSON.stringify({ recipientIdentityKey: b })
    expectRefused(
      await verify(payment, { sender: pub(sender), deliveryFee: 10, recipients }),
      'ERR_MISSING_RECIPIENT_OUTPUTS',
      400,
      /names recipient/,
    )
  })
})

describe('verifyPayment: tracker unavailable', () => {
  for (const mode of ['cut', 500, 429, 'garbage'] as const) {
    it(`503 ERR_PAYMENT_UNAVAILABLE when the tracker answers ${mode}`, async () => {
      const { built, input } = await singlePaid()
      await fakeChainTracker.fail(built.height, mode)
      expectRefused(await verify(built.payment, input), 'ERR_PAYMENT_UNAVAILABLE', 503)
      await fakeChainTracker.fail(built.height, null)
      expect(accepted(await verify(built.payment, input)).txid).toBe(built.txid)
    })
  }

  it('503 ERR_PAYMENT_UNAVAILABLE when nothing listens at the tracker URL', async () => {
    const { built, input } = await singlePaid()
    const down = new HttpChainTracker({ baseUrl: 'http://127.0.0.1:9' })
    expectRefused(await verify(built.payment, { ...input, tracker: down }), 'ERR_PAYMENT_UNAVAILABLE', 503)
  })

  it('refuses a short payment without asking the tracker', async () => {
    const { recipient, sender, input } = await singlePaid()
    const built = await build({ sender, deliveryFee: 9, recipients: [{ identityKey: recipient, fee: 5 }] })
    expectRefused(await verify(built.payment, input), 'ERR_INSUFFICIENT_PAYMENT')
    expect(await fakeChainTracker.requests(built.height)).toBe(0)
  })
})
