import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { newClient, type TestClient } from '../helpers/client'
import { expectResponse, storedFor } from '../helpers/messages'
import { fakeArc } from '../helpers/payments-arc'
import { type BuildPaymentOptions, type BuiltPayment, buildPayment } from '../helpers/payments'
import { TEST_SERVER_IDENTITY_KEY, withTimeout } from '../helpers/relay'

// Paid delivery against the network (docs/contract.md "Payments"): every coin a payment spends pays for one send
// only, and the network (a fake ARC keeping the set of spent coins, as ARC does) takes the transaction before
// anything is stored. wrangler.toml's defaults: a notification owes the relay 10 sat and the recipient 10 sat.
const BOX = 'notifications'

/** A payment of a notification from `sender` to `recipient` (10 sat each way), built as the client builds it. */
function pay(
  sender: TestClient,
  recipient: TestClient,
  options: Pick<BuildPaymentOptions, 'funding' | 'inputs' | 'sameCoinTwice' | 'corruptSignature'> = {},
): Promise<BuiltPayment> {
  return buildPayment({
    sender: sender.privateKey,
    serverIdentityKey: TEST_SERVER_IDENTITY_KEY,
    deliveryFee: 10,
    recipients: [{ identityKey: recipient.identityKey, fee: 10 }],
    ...options,
  })
}

function send(sender: TestClient, recipient: TestClient, built: BuiltPayment, messageId: string) {
  return sender.post('/sendMessage', {
    message: { recipient: recipient.identityKey, messageBox: BOX, body: messageId, messageId },
    payment: built.payment,
  })
}

/** The coin a built payment spends (its one input). */
const coinOf = (built: BuiltPayment) => `${built.funding.parent.id('hex')}.0`

/** What D1 holds as claimed for a payment: its transaction row and the coins recorded as spent by it. */
async function claimsOf(built: BuiltPayment) {
  const payment = await env.DB.prepare('SELECT txid FROM payments WHERE txid = ?').bind(built.txid).first()
  const { results } = await env.DB.prepare('SELECT outpoint FROM spent_outpoints WHERE txid = ?')
    .bind(built.txid)
    .all<{ outpoint: string }>()
  return { payment: payment !== null, coins: results.map((r) => r.outpoint) }
}

const randomTxid = () =>
  [...crypto.getRandomValues(new Uint8Array(32))].map((b) => b.toString(16).padStart(2, '0')).join('')

describe('a coin pays for one send', () => {
  it('five transactions spending one mined coin: one 200, four 409 ERR_PAYMENT_DOUBLE_SPENT, never broadcast', async () => {
    const [alice, bob] = [newClient(), newClient()]
    const first = await pay(alice, bob)
    const others = await Promise.all([1, 2, 3, 4].map(() => pay(alice, bob, { funding: first.funding })))
    expect(new Set([first, ...others].map((b) => b.txid)).size).toBe(5)

    await expectResponse(await send(alice, bob, first, 'm0'), 200)
    for (const [i, built] of others.entries()) {
      const res = await send(alice, bob, built, `m${i + 1}`)
      const body = await expectResponse(res, 409, 'ERR_PAYMENT_DOUBLE_SPENT')
      expect(body.description).toContain(coinOf(first))
      // Refused here: the relay never gives the network a payment it refuses.
      expect((await fakeArc.submissions(built.txid)).count).toBe(0)
      expect(await claimsOf(built)).toEqual({ payment: false, coins: [] })
    }
    expect((await storedFor(bob.identityKey)).map((m) => m.message_id)).toEqual(['m0'])
    expect(await claimsOf(first)).toEqual({ payment: true, coins: [coinOf(first)] })
    expect((await fakeArc.submissions(first.txid)).count).toBe(1)
  })

  it('two transactions spending one coin, racing, both taken by the network: the store keeps one, the other is 409', async () => {
    const [alice, bob] = [newClient(), newClient()]
    const a = await pay(alice, bob)
    const b = await pay(alice, bob, { funding: a.funding })
    // A broadcaster that has not seen the conflict yet: only the relay's own claims can stop the second.
    await Promise.all([fakeArc.script(a.txid, 'accept'), fakeArc.script(b.txid, 'accept')])
    await alice.fetch('/permissions/get?messageBox=warm', { method: 'GET' }) // one handshake before the race
    const answers = await Promise.all([send(alice, bob, a, 'ra'), send(alice, bob, b, 'rb')])
    expect(answers.map((r) => r.status).sort()).toEqual([200, 409])
    const refused = answers.find((r) => r.status === 409)!
    expect(await refused.json()).toMatchObject({ code: 'ERR_PAYMENT_DOUBLE_SPENT' })
    expect(await storedFor(bob.identityKey)).toHaveLength(1)
    const claims = [await claimsOf(a), await claimsOf(b)]
    expect(claims.filter((c) => c.payment)).toHaveLength(1)
    expect(claims.flatMap((c) => c.coins)).toEqual([coinOf(a)])
  })

  it('a different send with an already accepted transaction is 409 ERR_PAYMENT_REPLAYED and is not broadcast again', async () => {
    const [alice, bob] = [newClient(), newClient()]
    const built = await pay(alice, bob)
    await expectResponse(await send(alice, bob, built, 'once'), 200)
    await expectResponse(await send(alice, bob, built, 'twice'), 409, 'ERR_PAYMENT_REPLAYED')
    expect((await fakeArc.submissions(built.txid)).count).toBe(1)
    expect((await storedFor(bob.identityKey)).map((m) => m.message_id)).toEqual(['once'])
  })

  it('a transaction that spends one coin twice is 400 ERR_INVALID_PAYMENT before anyone is asked', async () => {
    const [alice, bob] = [newClient(), newClient()]
    const built = await pay(alice, bob, { inputs: 2, sameCoinTwice: true })
    const res = await send(alice, bob, built, 'twice')
    const body = await expectResponse(res, 400, 'ERR_INVALID_PAYMENT')
    expect(body.description).toMatch(/same output twice/)
    expect((await fakeArc.submissions(built.txid)).count).toBe(0)
  })
})

describe('the network decides (ARC at ARC_URL)', () => {
  it('an accepted payment is broadcast once, in extended format, with the ARC_API_KEY as a bearer token', async () => {
    const [alice, bob] = [newClient(), newClient()]
    const built = await pay(alice, bob)
    await expectResponse(await send(alice, bob, built, 'm'), 200)
    expect(await fakeArc.submissions(built.txid)).toEqual({
      count: 1,
      authorization: `Bearer ${env.ARC_API_KEY}`,
    })
  })

  it('a transaction the network already knows (the wallet broadcast it) is accepted', async () => {
    const [alice, bob] = [newClient(), newClient()]
    const built = await pay(alice, bob)
    await fakeArc.spend(coinOf(built), built.txid)
    await expectResponse(await send(alice, bob, built, 'known'), 200)
    expect(await storedFor(bob.identityKey)).toHaveLength(1)
  })

  it('a coin the network saw spent elsewhere: 409 ERR_PAYMENT_DOUBLE_SPENT, nothing stored or claimed', async () => {
    const [alice, bob] = [newClient(), newClient()]
    const built = await pay(alice, bob)
    await fakeArc.spend(coinOf(built), randomTxid())
    const body = await expectResponse(await send(alice, bob, built, 'm'), 409, 'ERR_PAYMENT_DOUBLE_SPENT')
    expect(body.description).toMatch(/network/i)
    expect((await fakeArc.submissions(built.txid)).count).toBe(1)
    expect(await storedFor(bob.identityKey)).toEqual([])
    expect(await claimsOf(built)).toEqual({ payment: false, coins: [] })
  })

  it.each([
    ['ARC unreachable (connection cut)', 'cut' as const],
    ['ARC answering 500', { status: 500 }],
    ['ARC answering 503', { status: 503 }],
    ['ARC refusing the relay (401: a wrong key)', { status: 401 }],
    ['ARC throttling (429)', { status: 429 }],
  ])(
    '%s: 503 ERR_PAYMENT_UNAVAILABLE, nothing stored or claimed; the same payment succeeds once ARC is back',
    async (_, answer) => {
      const [alice, bob] = [newClient(), newClient()]
      const built = await pay(alice, bob)
      await fakeArc.script(built.txid, answer)
      await expectResponse(await send(alice, bob, built, 'm'), 503, 'ERR_PAYMENT_UNAVAILABLE')
      expect(await storedFor(bob.identityKey)).toEqual([])
      expect(await claimsOf(built)).toEqual({ payment: false, coins: [] })

      await fakeArc.script(built.txid, null)
      await expectResponse(await send(alice, bob, built, 'm'), 200)
      expect((await storedFor(bob.identityKey)).map((m) => m.message_id)).toEqual(['m'])
      expect(await claimsOf(built)).toEqual({ payment: true, coins: [coinOf(built)] })
    },
  )

  it(
    'ARC slower than 10 s: 503 ERR_PAYMENT_UNAVAILABLE at the timeout, nothing stored or claimed',
    { timeout: 60_000 },
    async () => {
      const [alice, bob] = [newClient(), newClient()]
      const built = await pay(alice, bob)
      await alice.fetch('/permissions/get?messageBox=warm', { method: 'GET' }) // the handshake, not timed
      await fakeArc.script(built.txid, { delayMs: 12_000 })
      const started = Date.now()
      const res = await withTimeout(
        alice.authFetch.fetch('https://relay.test/sendMessage', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            message: { recipient: bob.identityKey, messageBox: BOX, body: 'slow', messageId: 'slow' },
            payment: built.payment,
          }),
        }),
        30_000,
      )
      const waited = Date.now() - started
      await expectResponse(res, 503, 'ERR_PAYMENT_UNAVAILABLE')
      expect(waited).toBeGreaterThanOrEqual(10_000)
      expect(waited).toBeLessThan(12_000)
      expect(await storedFor(bob.identityKey)).toEqual([])
      expect(await claimsOf(built)).toEqual({ payment: false, coins: [] })
    },
  )

  it.each([
    [
      'REJECTED',
      { txStatus: 'REJECTED', extraInfo: 'script verification failed' },
      /REJECTED script verification failed/,
    ],
    ['SEEN_IN_ORPHAN_MEMPOOL', { txStatus: 'SEEN_IN_ORPHAN_MEMPOOL' }, /ORPHAN/],
    ['MINED_IN_STALE_BLOCK', { txStatus: 'MINED_IN_STALE_BLOCK' }, /STALE/],
    ['HTTP 465 (fee too low)', { status: 465, detail: 'fee too low' }, /fee too low/],
    ['HTTP 461 (unlocking scripts)', { status: 461, detail: 'unlocking script invalid' }, /unlocking script/],
  ])(
    'ARC refusing the transaction (%s): 400 ERR_INVALID_PAYMENT with its reason, nothing stored',
    async (_, answer, reason) => {
      const [alice, bob] = [newClient(), newClient()]
      const built = await pay(alice, bob)
      await fakeArc.script(built.txid, answer)
      const body = await expectResponse(await send(alice, bob, built, 'm'), 400, 'ERR_INVALID_PAYMENT')
      expect(body.description).toMatch(reason)
      expect(await storedFor(bob.identityKey)).toEqual([])
      expect(await claimsOf(built)).toEqual({ payment: false, coins: [] })
    },
  )

  it('ARC answering 466 (a conflicting transaction): 409 ERR_PAYMENT_DOUBLE_SPENT', async () => {
    const [alice, bob] = [newClient(), newClient()]
    const built = await pay(alice, bob)
    await fakeArc.script(built.txid, { status: 466, detail: 'conflicting tx found' })
    await expectResponse(await send(alice, bob, built, 'm'), 409, 'ERR_PAYMENT_DOUBLE_SPENT')
    expect(await storedFor(bob.identityKey)).toEqual([])
  })

  it('verification runs first: a payment whose signature does not verify is never broadcast', async () => {
    const [alice, bob] = [newClient(), newClient()]
    const built = await pay(alice, bob, { corruptSignature: true })
    await expectResponse(await send(alice, bob, built, 'm'), 400, 'ERR_INVALID_PAYMENT')
    expect((await fakeArc.submissions(built.txid)).count).toBe(0)
  })
})
