import { PrivateKey } from '@bsv/sdk'
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { newClient, type TestClient } from '../helpers/client'
import { d1FailingOn } from '../helpers/failing-d1'
import { expectResponse, fillBox, randomKey, sendOk, storedFor } from '../helpers/messages'
import { getOk, getWith, setOk, storedRules } from '../helpers/permissions'
import { relayWithEnv } from '../helpers/relay-with-env'

const quote = (client: TestClient, recipient: string | string[], messageBox: string) =>
  getOk(client, '/permissions/quote', { recipient, messageBox })

/** A recipient with its own client, so it can set rules. */
const recipient = () => newClient()

describe('GET /permissions/quote', () => {
  it('one recipient: the reference shape, defaults from config when the recipient has no rule', async () => {
    const [alice, bob] = [newClient(), recipient()]
    expect(await quote(alice, bob.identityKey, 'inbox')).toEqual({
      status: 'success',
      description: 'Message delivery quote generated.',
      quote: { deliveryFee: 0, recipientFee: 0 },
    })
    // wrangler.toml: DELIVERY_FEES and DEFAULT_RECIPIENT_FEES are {"notifications":10}
    expect((await quote(alice, bob.identityKey, 'notifications')).quote).toEqual({
      deliveryFee: 10,
      recipientFee: 10,
    })
  })

  it("the recipient's rule decides: sender-specific over box-wide, box-wide over the default", async () => {
    const [alice, bob] = [newClient(), recipient()]
    await setOk(bob, { messageBox: 'notifications', recipientFee: -1 })
    expect((await quote(alice, bob.identityKey, 'notifications')).quote.recipientFee).toBe(-1)
    await setOk(bob, { messageBox: 'notifications', sender: alice.identityKey, recipientFee: 0 })
    expect((await quote(alice, bob.identityKey, 'notifications')).quote.recipientFee).toBe(0)
    // …and the other way round: a sender-specific block beats a box-wide allow.
    await setOk(bob, { messageBox: 'inbox', recipientFee: 0 })
    await setOk(bob, { messageBox: 'inbox', sender: alice.identityKey, recipientFee: -1 })
    expect((await quote(alice, bob.identityKey, 'inbox')).quote.recipientFee).toBe(-1)
    // A third sender still gets the box-wide rules.
    expect((await quote(newClient(), bob.identityKey, 'notifications')).quote.recipientFee).toBe(-1)
    expect((await quote(newClient(), bob.identityKey, 'inbox')).quote.recipientFee).toBe(0)
  })

  it('several recipients: per-recipient quotes in request order, echoed as sent, totals over payable ones', async () => {
    const alice = newClient()
    const [blocks, charges, silent] = [recipient(), recipient(), randomKey()]
    await setOk(blocks, { messageBox: 'notifications', recipientFee: -1 })
    await setOk(charges, { messageBox: 'notifications', recipientFee: 5 })
    const uncompressed = PrivateKey.fromString(charges.privateKey.toHex(), 'hex')
      .toPublicKey()
      .encode(false, 'hex') as string
    const answer = await quote(alice, [blocks.identityKey, uncompressed, silent], 'notifications')
    expect(answer).toEqual({
      status: 'success',
      description: 'Message delivery quote generated.',
      quotesByRecipient: [
        {
          recipient: blocks.identityKey,
          messageBox: 'notifications',
          deliveryFee: 10,
          recipientFee: -1,
          status: 'blocked',
        },
        {
          recipient: uncompressed,
          messageBox: 'notifications',
          deliveryFee: 10,
          recipientFee: 5,
          status: 'payment_required',
        },
        {
          recipient: silent,
          messageBox: 'notifications',
          deliveryFee: 10,
          recipientFee: 10,
          status: 'payment_required',
        },
      ],
      totals: { deliveryFees: 10, recipientFees: 15, totalForPayableRecipients: 25 },
      blockedRecipients: [blocks.identityKey],
    })
  })

  it('several recipients, all free: status always_allow and zero totals; all blocked: no delivery fee', async () => {
    const alice = newClient()
    const free = await quote(alice, [randomKey(), randomKey()], 'inbox')
    expect(free.quotesByRecipient.map((q: any) => q.status)).toEqual(['always_allow', 'always_allow'])
    expect(free.totals).toEqual({ deliveryFees: 0, recipientFees: 0, totalForPayableRecipients: 0 })

    const [b1, b2] = [recipient(), recipient()]
    await setOk(b1, { messageBox: 'notifications', recipientFee: -1 })
    await setOk(b2, { messageBox: 'notifications', recipientFee: -1 })
    const blocked = await quote(alice, [b1.identityKey, b2.identityKey], 'notifications')
    expect(blocked.totals).toEqual({ deliveryFees: 0, recipientFees: 0, totalForPayableRecipients: 0 })
    expect(blocked.blockedRecipients).toEqual([b1.identityKey, b2.identityKey])
  })

  it("a stranger's quote writes nothing: the recipient's rules and list are unchanged", async () => {
    const bob = recipient()
    await setOk(bob, { messageBox: 'inbox', recipientFee: 2 })
    const before = await storedRules(bob.identityKey)
    await quote(newClient(), bob.identityKey, 'notifications')
    await quote(newClient(), [bob.identityKey, randomKey()], 'payment_requests')
    expect(await storedRules(bob.identityKey)).toEqual(before)
    expect((await getOk(bob, '/permissions/list', {})).totalCount).toBe(1)
  })

  it('DELIVERY_FEES and DEFAULT_RECIPIENT_FEES are wrangler vars', async () => {
    const relay = relayWithEnv({ DELIVERY_FEES: '{"inbox":3}', DEFAULT_RECIPIENT_FEES: '{"inbox":4}' })
    const alice = newClient({ fetch: relay.fetch })
    expect((await quote(alice, randomKey(), 'inbox')).quote).toEqual({ deliveryFee: 3, recipientFee: 4 })
    expect((await quote(alice, randomKey(), 'notifications')).quote).toEqual({
      deliveryFee: 0,
      recipientFee: 0,
    })
  })

  const bad: [string, Record<string, string | string[]>, string][] = [
    ['no messageBox', { recipient: randomKey() }, 'ERR_MISSING_PARAMETERS'],
    ['no recipient', { messageBox: 'inbox' }, 'ERR_MISSING_PARAMETERS'],
    [
      '101 recipients',
      { messageBox: 'inbox', recipient: Array.from({ length: 101 }, () => randomKey()) },
      'ERR_TOO_MANY_RECIPIENTS',
    ],
    [
      'a box name with a control character',
      { messageBox: 'in\nbox', recipient: randomKey() },
      'ERR_INVALID_MESSAGE_BOX',
    ],
  ]
  for (const [name, query, code] of bad) {
    it(`400 ${code}: ${name}`, async () => {
      await expectResponse(await getWith(newClient(), '/permissions/quote', query), 400, code)
    })
  }

  it('400 ERR_INVALID_PUBLIC_KEY names the index of the bad recipient', async () => {
    const res = await getWith(newClient(), '/permissions/quote', {
      messageBox: 'inbox',
      recipient: [randomKey(), 'not-a-key'],
    })
    const body = await expectResponse(res, 400, 'ERR_INVALID_PUBLIC_KEY')
    expect(body.description).toContain('index 1')
  })
})

describe('POST /sendMessage: permissions and fees (checks 10a-10b)', () => {
  it('403 ERR_DELIVERY_BLOCKED when the recipient blocks the box; nothing stored', async () => {
    const [alice, bob] = [newClient(), recipient()]
    await setOk(bob, { messageBox: 'inbox', recipientFee: -1 })
    const res = await alice.post('/sendMessage', {
      message: { recipient: bob.identityKey, messageBox: 'inbox', body: 'x' },
    })
    expect(await expectResponse(res, 403, 'ERR_DELIVERY_BLOCKED')).toMatchObject({
      blockedRecipients: [bob.identityKey],
    })
    expect(await storedFor(bob.identityKey)).toEqual([])
  })

  it('a blocked recipient among several: 403 naming only it, and nothing stored for anyone', async () => {
    const alice = newClient()
    const [open1, blocks, open2] = [randomKey(), recipient(), randomKey()]
    await setOk(blocks, { messageBox: 'inbox', sender: alice.identityKey, recipientFee: -1 })
    const res = await alice.post('/sendMessage', {
      message: { recipients: [open1, blocks.identityKey, open2], messageBox: 'inbox', body: 'x' },
    })
    expect((await expectResponse(res, 403, 'ERR_DELIVERY_BLOCKED')).blockedRecipients).toEqual([
      blocks.identityKey,
    ])
    for (const key of [open1, blocks.identityKey, open2]) expect(await storedFor(key)).toEqual([])
  })

  it("PeerPay's whitelist: a box-wide block with one sender allowed lets only that sender through", async () => {
    const [friend, stranger, bob] = [newClient(), newClient(), recipient()]
    await setOk(bob, { messageBox: 'payment_requests', recipientFee: -1 })
    await setOk(bob, { messageBox: 'payment_requests', sender: friend.identityKey, recipientFee: 0 })
    await sendOk(friend, { recipient: bob.identityKey, messageBox: 'payment_requests', body: 'pay me' })
    const refused = await stranger.post('/sendMessage', {
      message: { recipient: bob.identityKey, messageBox: 'payment_requests', body: 'pay me too' },
    })
    await expectResponse(refused, 403, 'ERR_DELIVERY_BLOCKED')
    expect((await storedFor(bob.identityKey)).map((m) => m.sender)).toEqual([friend.identityKey])
  })

  it('a block set after a quote still blocks the send', async () => {
    const [alice, bob] = [newClient(), recipient()]
    expect((await quote(alice, bob.identityKey, 'inbox')).quote.recipientFee).toBe(0)
    await setOk(bob, { messageBox: 'inbox', sender: alice.identityKey, recipientFee: -1 })
    const res = await alice.post('/sendMessage', {
      message: { recipient: bob.identityKey, messageBox: 'inbox', body: 'x' },
    })
    await expectResponse(res, 403, 'ERR_DELIVERY_BLOCKED')
  })

  it('400 ERR_MISSING_PAYMENT_TX when a fee is owed and no payment came; nothing stored', async () => {
    const [alice, bob] = [newClient(), recipient()]
    // The default notifications fees (10 + 10).
    const unpaid = await alice.post('/sendMessage', {
      message: { recipient: bob.identityKey, messageBox: 'notifications', body: 'x' },
    })
    await expectResponse(unpaid, 400, 'ERR_MISSING_PAYMENT_TX')
    // The recipient waives its fee, but the relay's delivery fee is still owed.
    await setOk(bob, { messageBox: 'notifications', recipientFee: 0 })
    const stillUnpaid = await alice.post('/sendMessage', {
      message: { recipient: bob.identityKey, messageBox: 'notifications', body: 'x' },
    })
    await expectResponse(stillUnpaid, 400, 'ERR_MISSING_PAYMENT_TX')
    // A recipient fee alone is owed too.
    await setOk(bob, { messageBox: 'inbox', recipientFee: 1 })
    const paidBox = await alice.post('/sendMessage', {
      message: { recipient: bob.identityKey, messageBox: 'inbox', body: 'x' },
    })
    await expectResponse(paidBox, 400, 'ERR_MISSING_PAYMENT_TX')
    expect(await storedFor(bob.identityKey)).toEqual([])
  })

  it('400 ERR_INVALID_PAYMENT when a fee is owed and the payment is no transaction; nothing stored', async () => {
    const [alice, bob] = [newClient(), recipient()]
    const res = await alice.post('/sendMessage', {
      message: { recipient: bob.identityKey, messageBox: 'notifications', body: 'x' },
      payment: { tx: [1, 2, 3], outputs: [], description: 'MessageBox delivery payment' },
    })
    await expectResponse(res, 400, 'ERR_INVALID_PAYMENT')
    expect(await storedFor(bob.identityKey)).toEqual([])
  })

  it('nothing owed: a payment field is neither checked nor stored (the stored body is the body alone)', async () => {
    const [alice, bob] = [newClient(), recipient()]
    const payment = { tx: [], outputs: [], description: 'MessageBox delivery payment (batch)' }
    await sendOk(alice, { recipient: bob.identityKey, messageBox: 'inbox', body: 'hi' }, { payment })
    expect((await storedFor(bob.identityKey))[0]!.body).toBe('hi')
  })

  it('a free box for one sender only: the sender-specific 0 in a paid box lets it through without payment', async () => {
    const relay = relayWithEnv({ DELIVERY_FEES: '{}' })
    const [alice, bob] = [newClient({ fetch: relay.fetch }), newClient({ fetch: relay.fetch })]
    await setOk(bob, { messageBox: 'notifications', sender: alice.identityKey, recipientFee: 0 })
    await sendOk(alice, { recipient: bob.identityKey, messageBox: 'notifications', body: 'ping' })
    const other = newClient({ fetch: relay.fetch })
    const res = await other.post('/sendMessage', {
      message: { recipient: bob.identityKey, messageBox: 'notifications', body: 'ping' },
    })
    await expectResponse(res, 400, 'ERR_MISSING_PAYMENT_TX')
  })

  it('order: checks 1-10 come before the permission checks; 10a comes before the quota (12)', async () => {
    const relay = relayWithEnv({ INBOX_QUOTA: '1', MAX_MESSAGE_BODY_BYTES: '4' })
    const [alice, bob] = [newClient({ fetch: relay.fetch }), newClient({ fetch: relay.fetch })]
    await setOk(bob, { messageBox: 'inbox', recipientFee: -1 })
    const tooLarge = await alice.post('/sendMessage', {
      message: { recipient: bob.identityKey, messageBox: 'inbox', body: 'hello' },
    })
    await expectResponse(tooLarge, 413, 'ERR_MESSAGE_BODY_TOO_LARGE')
    await fillBox(bob.identityKey, 'inbox', 1)
    const blocked = await alice.post('/sendMessage', {
      message: { recipient: bob.identityKey, messageBox: 'inbox', body: 'x' },
    })
    await expectResponse(blocked, 403, 'ERR_DELIVERY_BLOCKED')
  })
})

describe('a permission lookup that fails never allows', () => {
  const relay = relayWithEnv({ DB: d1FailingOn(env.DB, /"permissions"/) })

  it('sendMessage answers a signed 503 and stores nothing', async () => {
    const alice = newClient({ fetch: relay.fetch })
    const bob = randomKey()
    const res = await alice.post('/sendMessage', {
      message: { recipient: bob, messageBox: 'inbox', body: 'x' },
    })
    await expectResponse(res, 503, 'ERR_STORAGE_UNAVAILABLE')
    expect(relay.lastSignature()).not.toBeNull()
    expect(await storedFor(bob)).toEqual([])
  })

  it('a quote answers a signed 503', async () => {
    const alice = newClient({ fetch: relay.fetch })
    const res = await getWith(alice, '/permissions/quote', { recipient: randomKey(), messageBox: 'inbox' })
    await expectResponse(res, 503, 'ERR_STORAGE_UNAVAILABLE')
    expect(relay.lastSignature()).not.toBeNull()
  })
})
