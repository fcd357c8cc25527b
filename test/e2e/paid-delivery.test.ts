import { P2PKH, ProtoWallet, PublicKey, Transaction } from '@bsv/sdk'
import { describe, expect, inject, it } from 'vitest'
import { arcControl } from '../helpers/arc-control'
import { newPlainClient, withTimeout } from './helpers/clients'
import { headerRequests, newFundedIdentity, type FundedIdentity } from './helpers/funded-wallet'

// Paid delivery end to end: the unmodified @bsv/message-box-client 2.1.1 pays real transactions (a funded
// test wallet, its parent "mined" in made-up blocks known to a fake chain tracker) into 'notifications',
// which costs 10 sat delivery + 10 sat recipient fee (wrangler.toml), against the run's shared wrangler dev,
// whose CHAIN_TRACKER_URL points at the fake tracker and ARC_URL at a fake ARC (it keeps the coins spent).

/** The "anyone" identity key (private key 1): the senderIdentityKey on recipient outputs. */
const ANYONE = '0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798'
const BRC29: [2, string] = [2, '3241645161d8']

interface PaymentEntry {
  outputIndex: number
  protocol: string
  paymentRemittance: { derivationPrefix: string; derivationSuffix: string; senderIdentityKey: string }
}
interface SentBody {
  message: Record<string, unknown>
  payment: { tx: number[]; outputs: PaymentEntry[]; description: string }
}

// The shared relay of the run (test/e2e/global-setup.ts), with its fake chain tracker and fake ARC.
const host = inject('relayUrl')
const tracker = { url: inject('fakeChainTrackerUrl') }
const arc = { url: inject('fakeArcUrl') }

const fund = (name: string) => newFundedIdentity(name, host, tracker.url)

/** Keeps the JSON body of every POST /sendMessage the identity's own client makes. */
function captureSends(who: FundedIdentity): SentBody[] {
  const sent: SentBody[] = []
  const authFetch = who.client.authFetch
  const original = authFetch.fetch.bind(authFetch)
  authFetch.fetch = (url, init) => {
    if (String(url).endsWith('/sendMessage') && typeof init?.body === 'string') {
      sent.push(JSON.parse(init.body) as SentBody)
    }
    return original(url, init)
  }
  return sent
}

/** Keeps the status and JSON body of every answer to the identity's own client's POST /sendMessage. */
function captureAnswers(who: FundedIdentity): Array<{ status: number; body: unknown }> {
  const answers: Array<{ status: number; body: unknown }> = []
  const authFetch = who.client.authFetch
  const original = authFetch.fetch.bind(authFetch)
  authFetch.fetch = async (url, init) => {
    const res = await original(url, init)
    if (String(url).endsWith('/sendMessage'))
      answers.push({ status: res.status, body: await res.clone().json() })
    return res
  }
  return answers
}

/** `recipient`'s own locking script for an anyone-key entry (what its wallet derives when internalizing). */
async function recipientScript(recipient: FundedIdentity, entry: PaymentEntry): Promise<string> {
  const { derivationPrefix, derivationSuffix, senderIdentityKey } = entry.paymentRemittance
  const { publicKey } = await new ProtoWallet(recipient.key).getPublicKey({
    protocolID: BRC29,
    keyID: `${derivationPrefix} ${derivationSuffix}`,
    counterparty: senderIdentityKey,
    forSelf: true,
  })
  return new P2PKH().lock(PublicKey.fromString(publicKey).toAddress()).toHex()
}

async function list(who: FundedIdentity) {
  return withTimeout(who.client.listMessages({ messageBox: 'notifications', host }), 'listMessages')
}

describe('paid delivery: the real client pays into notifications', () => {
  it('sendNotification(bob): 200; Bob lists "hello" and his wallet internalizes only his own output', async () => {
    const [alice, bob] = [fund('alice'), fund('bob')]
    const sends = captureSends(alice)

    // A single recipient takes sendMessage's path: its answer carries the messageId.
    const sent = (await withTimeout(
      alice.client.sendNotification(bob.identityKey, 'hello', host),
      'sendNotification',
    )) as { status: string; messageId: string }
    expect(sent).toMatchObject({ status: 'success', messageId: expect.any(String) })
    // The relay checked the parent's made-up block with the tracker it was given, and gave the
    // transaction to the network once.
    expect(await headerRequests(tracker.url, alice.wallet.blockHeights[0]!)).toBeGreaterThan(0)
    const paidTxid = alice.wallet.createdTransactions[0]!.id('hex')
    expect((await arcControl(() => arc.url).submissions(paidTxid)).count).toBe(1)

    // What the client paid: delivery (10 sat, output 0) then Bob's fee (10 sat, output 1), then change.
    expect(sends).toHaveLength(1)
    const { payment } = sends[0]!
    expect(alice.wallet.createdActions).toHaveLength(1)
    expect(alice.wallet.createdActions[0]!.outputs!.map((o) => o.satoshis)).toEqual([10, 10])
    const tx = Transaction.fromAtomicBEEF(payment.tx)
    expect(tx.id('hex')).toBe(alice.wallet.createdTransactions[0]!.id('hex'))
    expect(payment.outputs.map((o) => [o.outputIndex, o.paymentRemittance.senderIdentityKey])).toEqual([
      [0, alice.identityKey],
      [1, ANYONE],
    ])

    const messages = await list(bob)
    expect(messages).toHaveLength(1)
    expect(messages[0]).toMatchObject({
      messageId: sent.messageId,
      sender: alice.identityKey,
      body: 'hello',
    })

    // The client unwrapped the stored form and handed Bob's wallet exactly Bob's entry, never output 0.
    expect(bob.wallet.internalized).toHaveLength(1)
    const taken = bob.wallet.internalized[0]!
    expect(taken.tx).toEqual(payment.tx)
    expect(taken.description).toBe(payment.description)
    expect(taken.outputs).toEqual([payment.outputs[1]])
    expect(taken.outputs[0]).toMatchObject({
      outputIndex: 1,
      protocol: 'wallet payment',
      paymentRemittance: { senderIdentityKey: ANYONE },
    })
    // And Bob's wallet could really take it in: the script follows from his key and the remittance.
    expect(tx.outputs[1]!.lockingScript.toHex()).toBe(await recipientScript(bob, payment.outputs[1]!))
    expect(tx.outputs[1]!.satoshis).toBe(10)
  })

  it('sendNotification([bob, carol]): one payment, each recipient internalizes only its own output', async () => {
    const [alice, bob, carol] = [fund('alice'), fund('bob'), fund('carol')]
    const sends = captureSends(alice)

    const sent = await withTimeout(
      alice.client.sendNotification([bob.identityKey, carol.identityKey], 'hello both', host),
      'sendNotification batch',
    )
    expect(sent).toMatchObject({ status: 'success', blocked: [], failed: [] })
    expect((sent as { sent: unknown[] }).sent).toHaveLength(2)

    expect(sends).toHaveLength(1)
    const { payment } = sends[0]!
    expect(payment.description).toBe('MessageBox delivery payment (batch)')
    expect(alice.wallet.createdActions[0]!.outputs!.map((o) => o.satoshis)).toEqual([10, 10, 10])
    const tx = Transaction.fromAtomicBEEF(payment.tx)
    expect(payment.outputs.map((o) => [o.outputIndex, o.paymentRemittance.senderIdentityKey])).toEqual([
      [0, alice.identityKey],
      [1, ANYONE],
      [2, ANYONE],
    ])

    for (const [who, entry] of [
      [bob, payment.outputs[1]!],
      [carol, payment.outputs[2]!],
    ] as const) {
      const messages = await list(who)
      expect(messages, who.name).toHaveLength(1)
      expect(messages[0], who.name).toMatchObject({ sender: alice.identityKey, body: 'hello both' })
      expect(who.wallet.internalized, who.name).toHaveLength(1)
      const taken = who.wallet.internalized[0]!
      expect(taken.tx, who.name).toEqual(payment.tx)
      expect(taken.description, who.name).toBe(payment.description)
      expect(taken.outputs, who.name).toEqual([entry])
      expect(tx.outputs[entry.outputIndex]!.lockingScript.toHex(), who.name).toBe(
        await recipientScript(who, entry),
      )
    }
  })

  it('a payment whose block the tracker does not know: 400 ERR_INVALID_PAYMENT, the client throws, nothing stored', async () => {
    const [alice, bob] = [fund('alice'), fund('bob')]
    alice.wallet.registerBlocks = false
    const sends = captureSends(alice)
    const answers = captureAnswers(alice)
    await expect(
      withTimeout(alice.client.sendNotification(bob.identityKey, 'unpaid', host), 'sendNotification'),
    ).rejects.toThrow(/HTTP 400/)
    expect(sends).toHaveLength(1)
    expect(await headerRequests(tracker.url, alice.wallet.blockHeights[0]!)).toBeGreaterThan(0)
    expect(answers).toMatchObject([{ status: 400, body: { status: 'error', code: 'ERR_INVALID_PAYMENT' } }])
    expect(await list(bob)).toEqual([])
    expect(bob.wallet.internalized).toEqual([])
  })

  it("a second payment spending the first one's coin again: the client throws HTTP 409 ERR_PAYMENT_DOUBLE_SPENT, nothing stored", async () => {
    const [alice, bob] = [fund('alice'), fund('bob')]
    await withTimeout(alice.client.sendNotification(bob.identityKey, 'paid', host), 'sendNotification')
    alice.wallet.spendLastCoinAgain = true
    const answers = captureAnswers(alice)
    await expect(
      withTimeout(alice.client.sendNotification(bob.identityKey, 'paid again', host), 'sendNotification'),
    ).rejects.toThrow(/HTTP 409/)
    const [first, second] = alice.wallet.createdTransactions
    expect(second!.id('hex')).not.toBe(first!.id('hex'))
    expect(second!.inputs[0]!.sourceTXID ?? second!.inputs[0]!.sourceTransaction!.id('hex')).toBe(
      first!.inputs[0]!.sourceTXID ?? first!.inputs[0]!.sourceTransaction!.id('hex'),
    )
    expect(answers).toEqual([
      { status: 409, body: expect.objectContaining({ status: 'error', code: 'ERR_PAYMENT_DOUBLE_SPENT' }) },
    ])
    expect((await list(bob)).map((m) => m.body)).toEqual(['paid'])
    // Refused on the relay's own claim of the coin: the double spend never reached the network.
    expect((await arcControl(() => arc.url).submissions(second!.id('hex'))).count).toBe(0)
  })

  it('the same transaction for another send (plain AuthFetch, same sender) is 409 ERR_PAYMENT_REPLAYED', async () => {
    const [alice, bob] = [fund('alice'), fund('bob')]
    const sends = captureSends(alice)
    await withTimeout(alice.client.sendNotification(bob.identityKey, 'paid once', host), 'sendNotification')
    expect(sends).toHaveLength(1)
    const captured = sends[0]!

    // The captured request again, from Alice's key over a fresh AuthFetch session. The same messageId
    // would be an idempotent repeat of the stored send (no payment check), so the replay names a new one.
    const replay = newPlainClient(host, alice.key)
    const again = await replay.post('/sendMessage', {
      ...captured,
      message: { ...captured.message, messageId: `replay-${crypto.randomUUID()}` },
    })
    expect(again.status, JSON.stringify(again.body)).toBe(409)
    expect(again.body).toMatchObject({ status: 'error', code: 'ERR_PAYMENT_REPLAYED' })

    // Nothing more was stored: Bob has the first message only, and takes its payment in once.
    const messages = await list(bob)
    expect(messages.map((m) => m.body)).toEqual(['paid once'])
    expect(bob.wallet.internalized).toHaveLength(1)
  })
})
