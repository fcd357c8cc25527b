import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { newClient, type TestClient } from '../helpers/client'
import { countBodies, expectResponse, listOk, storedFor } from '../helpers/messages'
import { buildPayment } from '../helpers/payments'
import { fakeChainTracker } from '../helpers/payments-tracker'
import { setOk } from '../helpers/permissions'
import { TEST_SERVER_IDENTITY_KEY } from '../helpers/relay'

// wrangler.toml's defaults: a notification owes the relay 10 sat and the recipient 10 sat.
const BOX = 'notifications'

/** A payment from `sender` as message-box-client 2.1.1 builds it, for the given recipient fees. */
function paymentFrom(
  sender: TestClient,
  recipients: { identityKey: string; fee: number }[],
  deliveryFee = 10,
) {
  return buildPayment({
    flow: recipients.length === 1 ? 'single' : 'batch',
    sender: sender.privateKey,
    serverIdentityKey: TEST_SERVER_IDENTITY_KEY,
    deliveryFee,
    recipients,
  })
}

async function paymentRow(txid: string) {
  return env.DB.prepare('SELECT * FROM payments WHERE txid = ?').bind(txid).first<Record<string, unknown>>()
}

describe('POST /sendMessage with a payment owed (check 10c)', () => {
  it('single recipient, delivery + recipient fee: stored as the wrapper with only its own output; the delivery output recorded', async () => {
    const [alice, bob] = [newClient(), newClient()]
    const built = await paymentFrom(alice, [{ identityKey: bob.identityKey, fee: 10 }])
    const sent = await alice.post('/sendMessage', {
      message: { recipient: bob.identityKey, messageBox: BOX, body: { ping: 1 } },
      payment: built.payment,
    })
    await expectResponse(sent, 200)
    const [listed] = (await listOk(bob, { messageBox: BOX })).messages
    const wrapper = JSON.parse(listed.body)
    expect(wrapper.message).toEqual({ ping: 1 })
    expect(wrapper.payment).toEqual({
      tx: built.payment.tx,
      description: built.payment.description,
      outputs: [built.payment.outputs[1]], // the recipient's; never the relay's output 0
    })
    const row = await paymentRow(built.txid)
    expect(row).toMatchObject({
      sender: alice.identityKey,
      delivery_satoshis: 10,
      derivation_prefix: built.payment.outputs[0]!.paymentRemittance.derivationPrefix,
      derivation_suffix: built.payment.outputs[0]!.paymentRemittance.derivationSuffix,
    })
    expect(Array.from(Uint8Array.from(atob(row!.beef as string), (c) => c.charCodeAt(0)))).toEqual(
      built.payment.tx,
    )
  })

  it('several recipients (the batch flow): each stores its own output only, and the body once', async () => {
    const alice = newClient()
    const [bob, carol] = [newClient(), newClient()]
    await setOk(bob, { messageBox: BOX, recipientFee: 5 })
    await setOk(carol, { messageBox: BOX, recipientFee: 7 })
    const built = await paymentFrom(alice, [
      { identityKey: bob.identityKey, fee: 5 },
      { identityKey: carol.identityKey, fee: 7 },
    ])
    const bodies = await countBodies()
    const sent = await alice.post('/sendMessage', {
      message: { recipients: [bob.identityKey, carol.identityKey], messageBox: BOX, body: 'hello both' },
      payment: built.payment,
    })
    await expectResponse(sent, 200)
    expect(await countBodies()).toBe(bodies + 1)
    for (const [who, entry] of [
      [bob, built.payment.outputs[1]],
      [carol, built.payment.outputs[2]],
    ] as const) {
      const wrapper = JSON.parse((await listOk(who, { messageBox: BOX })).messages[0].body)
      expect(wrapper.message).toBe('hello both')
      expect(wrapper.payment.outputs).toEqual([entry])
    }
  })

  it('a transaction pays for one send: a different send with it is 409 ERR_PAYMENT_REPLAYED, nothing stored', async () => {
    const [alice, bob, carol] = [newClient(), newClient(), newClient()]
    const built = await paymentFrom(alice, [{ identityKey: bob.identityKey, fee: 10 }])
    await expectResponse(
      await alice.post('/sendMessage', {
        message: { recipient: bob.identityKey, messageBox: BOX, body: 'first', messageId: 'm1' },
        payment: built.payment,
      }),
      200,
    )
    const again = await alice.post('/sendMessage', {
      message: { recipient: bob.identityKey, messageBox: BOX, body: 'second', messageId: 'm2' },
      payment: built.payment,
    })
    await expectResponse(again, 409, 'ERR_PAYMENT_REPLAYED')
    expect((await storedFor(bob.identityKey)).map((m) => m.message_id)).toEqual(['m1'])
    expect(await storedFor(carol.identityKey)).toEqual([])
  })

  it('an idempotent repeat of the paid send is a 200 duplicate: its payment is not claimed again', async () => {
    const [alice, bob] = [newClient(), newClient()]
    const built = await paymentFrom(alice, [{ identityKey: bob.identityKey, fee: 10 }])
    const request = {
      message: { recipient: bob.identityKey, messageBox: BOX, body: 'once', messageId: 'same' },
      payment: built.payment,
    }
    await expectResponse(await alice.post('/sendMessage', request), 200)
    const repeat = await expectResponse(await alice.post('/sendMessage', request), 200)
    expect(repeat.results).toEqual([{ recipient: bob.identityKey, messageId: 'same', duplicate: true }])
    expect(await storedFor(bob.identityKey)).toHaveLength(1)
  })

  it('two different sends racing with one transaction: exactly one is stored, the other is 409', async () => {
    const [alice, bob] = [newClient(), newClient()]
    const built = await paymentFrom(alice, [{ identityKey: bob.identityKey, fee: 10 }])
    await alice.fetch('/permissions/get?messageBox=warm', { method: 'GET' }) // one handshake before the race
    const answers = await Promise.all(
      ['r1', 'r2'].map((messageId) =>
        alice.post('/sendMessage', {
          message: { recipient: bob.identityKey, messageBox: BOX, body: messageId, messageId },
          payment: built.payment,
        }),
      ),
    )
    expect(answers.map((r) => r.status).sort()).toEqual([200, 409])
    expect(await storedFor(bob.identityKey)).toHaveLength(1)
  })

  it('refusals store nothing: delivery output short by 1 sat (400), tracker down (503)', async () => {
    const [alice, bob] = [newClient(), newClient()]
    // The client paid 9 where 10 is owed.
    const short = await paymentFrom(alice, [{ identityKey: bob.identityKey, fee: 10 }], 9)
    const res = await alice.post('/sendMessage', {
      message: { recipient: bob.identityKey, messageBox: BOX, body: 'x' },
      payment: short.payment,
    })
    await expectResponse(res, 400, 'ERR_INSUFFICIENT_PAYMENT')

    const built = await paymentFrom(alice, [{ identityKey: bob.identityKey, fee: 10 }])
    await fakeChainTracker.fail(built.height, 503)
    const down = await alice.post('/sendMessage', {
      message: { recipient: bob.identityKey, messageBox: BOX, body: 'x' },
      payment: built.payment,
    })
    await expectResponse(down, 503, 'ERR_PAYMENT_UNAVAILABLE')
    expect(await storedFor(bob.identityKey)).toEqual([])
    expect(await paymentRow(built.txid)).toBeNull()
  })
})
