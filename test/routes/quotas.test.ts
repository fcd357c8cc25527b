import { describe, expect, it } from 'vitest'
import { fromAddress, newClient, type TestClient } from '../helpers/client'
import {
  expectResponse,
  fillBox,
  insertDirect,
  listOk,
  randomKey,
  sendOk,
  storedFor,
} from '../helpers/messages'
import { paidNotification } from '../helpers/payments'
import { relayWithEnv } from '../helpers/relay-with-env'

/**
 * Clients of one relay whose vars differ from wrangler.toml's by `vars`, each from a network of its own (so
 * the per-identity quotas below are what a send meets; the network quotas are tested in sybil.test.ts).
 */
function relayOf(vars: Record<string, string>) {
  const relay = relayWithEnv(vars)
  return {
    relay,
    client: (privateKey?: TestClient['privateKey']) =>
      newClient({ fetch: fromAddress(randomNetworkAddress(), relay.fetch), privateKey }),
  }
}

/** An address in a /24 of its own (10.0.0.0/8, at random). */
function randomNetworkAddress(): string {
  const [a, b] = crypto.getRandomValues(new Uint8Array(2))
  return `10.${a}.${b}.1`
}

const send = (from: TestClient, recipient: string | string[], body: string, messageBox = 'inbox') =>
  from.post('/sendMessage', {
    message: { ...(Array.isArray(recipient) ? { recipients: recipient } : { recipient }), messageBox, body },
  })

describe('quotas bound what any one identity can have waiting', () => {
  it('INBOX_BYTES_QUOTA: a send that fits exactly is stored; one byte over is 429 bytes, nothing stored', async () => {
    const { client } = relayOf({ INBOX_BYTES_QUOTA: '1000' })
    const [alice, carol] = [client(), client()]
    const bob = randomKey()
    // 950 bytes already waiting (from before: no network's, no stranger's share), then room for exactly 50.
    await insertDirect({
      recipient: bob,
      messageBox: 'old',
      count: 1,
      bodySql: 'substr(hex(zeroblob(475)), 1, 950)',
    })
    await sendOk(alice, { recipient: bob, messageBox: 'inbox', body: 'a'.repeat(50) })
    const over = await send(carol, bob, '1')
    expect(await expectResponse(over, 429, 'ERR_INBOX_QUOTA_EXCEEDED')).toMatchObject({
      resource: 'bytes',
      limit: 1000,
      recipient: bob,
    })
    expect((await storedFor(bob)).map((m) => m.body.length)).toEqual([950, 50])
  })

  it('INBOX_QUOTA: the 429 says resource "messages"', async () => {
    const { client } = relayOf({ INBOX_QUOTA: '1' })
    const bob = randomKey()
    await fillBox(bob, 'inbox', 1)
    expect(
      await expectResponse(await send(client(), bob, 'x'), 429, 'ERR_INBOX_QUOTA_EXCEEDED'),
    ).toMatchObject({
      resource: 'messages',
      limit: 1,
      recipient: bob,
    })
  })

  it('finding 1 — no inbox lockout by one sender: its share runs out, every other sender still gets through', async () => {
    // The default ratio (a tenth of the inbox), scaled down: 50 waiting per inbox, 5 per sender.
    const { client } = relayOf({ INBOX_QUOTA: '50', SENDER_PER_RECIPIENT_QUOTA: '5' })
    const [mallory, alice] = [client(), client()]
    const victim = client()
    const answers: number[] = []
    for (let i = 0; i < 8; i++) {
      answers.push((await send(mallory, victim.identityKey, 'x', `random-${i}`)).status)
    }
    expect(answers).toEqual([200, 200, 200, 200, 200, 429, 429, 429])
    await sendOk(alice, { recipient: victim.identityKey, messageBox: 'inbox', body: 'still reachable' })
    // The victim finds every box holding its messages and can clear them.
    const { messageBoxes } = await expectResponse(await victim.post('/listMessageBoxes', {}), 200)
    expect(messageBoxes).toHaveLength(6)
    expect(messageBoxes.reduce((n: number, b: { count: number }) => n + b.count, 0)).toBe(6)
  })

  it('SENDER_PER_RECIPIENT_QUOTA: 429 ERR_SENDER_QUOTA_EXCEEDED naming the recipient; nothing stored', async () => {
    const { client } = relayOf({ SENDER_PER_RECIPIENT_QUOTA: '2' })
    const alice = client()
    const bob = randomKey()
    await sendOk(alice, { recipient: bob, messageBox: 'a', body: 'x' })
    await sendOk(alice, { recipient: bob, messageBox: 'b', body: 'x' })
    expect(
      await expectResponse(await send(alice, bob, 'x', 'c'), 429, 'ERR_SENDER_QUOTA_EXCEEDED'),
    ).toMatchObject({
      resource: 'messages',
      limit: 2,
      recipient: bob,
    })
    expect(await storedFor(bob)).toHaveLength(2)
  })

  it('SENDER_MESSAGES_QUOTA: counts every recipient; a send that would pass it stores nothing for anyone', async () => {
    const { client } = relayOf({ SENDER_MESSAGES_QUOTA: '3' })
    const alice = client()
    const [r1, r2, r3, r4] = [randomKey(), randomKey(), randomKey(), randomKey()]
    await sendOk(alice, { recipients: [r1, r2], messageBox: 'inbox', body: 'x' })
    const both = await send(alice, [r3, r4], 'x')
    expect(await expectResponse(both, 429, 'ERR_SENDER_QUOTA_EXCEEDED')).toEqual(
      expect.objectContaining({ resource: 'messages', limit: 3 }),
    )
    expect([...(await storedFor(r3)), ...(await storedFor(r4))]).toEqual([])
    await sendOk(alice, { recipient: r3, messageBox: 'inbox', body: 'x' })
  })

  it('SENDER_BYTES_QUOTA: the body counts once per recipient', async () => {
    const { client } = relayOf({ SENDER_BYTES_QUOTA: '10' })
    const alice = client()
    const [r1, r2] = [randomKey(), randomKey()]
    const res = await send(alice, [r1, r2], '123456')
    expect(await expectResponse(res, 429, 'ERR_SENDER_QUOTA_EXCEEDED')).toMatchObject({
      resource: 'bytes',
      limit: 10,
    })
    await sendOk(alice, { recipients: [r1, r2], messageBox: 'inbox', body: '12345' })
  })

  it('acknowledging frees the quota again', async () => {
    const { client } = relayOf({ SENDER_PER_RECIPIENT_QUOTA: '1' })
    const alice = client()
    const bob = client()
    const { messageId } = await sendOk(alice, { recipient: bob.identityKey, messageBox: 'inbox', body: 'x' })
    await expectResponse(await send(alice, bob.identityKey, 'y'), 429, 'ERR_SENDER_QUOTA_EXCEEDED')
    await expectResponse(await bob.post('/acknowledgeMessage', { messageIds: [messageId] }), 200)
    await sendOk(alice, { recipient: bob.identityKey, messageBox: 'inbox', body: 'y' })
  })
})

describe('the stored row stays under D1’s 2 MB row limit', () => {
  it('MAX_STORED_BODY_BYTES (1 900 000): a paid body and its payment just under is stored; just over is 413, nothing stored', async () => {
    const alice = newClient()
    const [under, over] = [randomKey(), randomKey()]
    const body = 'b'.repeat(1_000_000)
    // A paid send's stored form is the wrapper with its (verified) payment; its description makes it grow.
    const sendWithStored = async (recipient: string, storedBytes: number) => {
      const bare = await paidNotification(alice.privateKey, recipient, body, 0)
      const payment = { ...bare.payment, description: 'd'.repeat(storedBytes - bare.storedBytes) }
      return alice.post('/sendMessage', {
        message: { recipient, messageBox: 'notifications', body },
        payment,
      })
    }
    await expectResponse(await sendWithStored(under, 1_900_000), 200)
    expect((await storedFor(under))[0]!.body.length).toBe(1_900_000)
    await expectResponse(await sendWithStored(over, 1_900_001), 413, 'ERR_MESSAGE_BODY_TOO_LARGE')
    expect(await storedFor(over)).toEqual([])
  })
})

describe('a database near its limit', () => {
  it('refuses sends with 507 ERR_STORAGE_FULL; listing, acknowledging and an idempotent repeat keep working', async () => {
    const bob = newClient()
    const alice = newClient()
    const { messageId } = await sendOk(alice, {
      recipient: bob.identityKey,
      messageBox: 'inbox',
      body: 'before',
    })
    const { client } = relayOf({ MAX_DATABASE_BYTES: '1000' })
    const [fullAlice, fullBob] = [client(alice.privateKey), client(bob.privateKey)]
    await expectResponse(await send(fullAlice, randomKey(), 'x'), 507, 'ERR_STORAGE_FULL')
    const repeat = await fullAlice.post('/sendMessage', {
      message: { recipient: bob.identityKey, messageBox: 'inbox', body: 'before', messageId },
    })
    expect((await expectResponse(repeat, 200)).results[0].duplicate).toBe(true)
    expect((await listOk(fullBob, { messageBox: 'inbox' })).messages).toHaveLength(1)
    await expectResponse(await fullBob.post('/acknowledgeMessage', { messageIds: [messageId] }), 200)
  })
})

describe('POST /listMessageBoxes', () => {
  it('every box holding the caller’s unexpired messages, by name, with counts and stored bytes', async () => {
    const [alice, bob] = [newClient(), newClient()]
    await sendOk(alice, { recipient: bob.identityKey, messageBox: 'zeta', body: 'ééé' })
    await sendOk(alice, { recipient: bob.identityKey, messageBox: 'alpha', body: 'x' })
    await sendOk(alice, { recipient: bob.identityKey, messageBox: 'alpha', body: 'yy' })
    await fillBox(bob.identityKey, 'expired', 2, Date.now() - 1)
    await sendOk(bob, { recipient: alice.identityKey, messageBox: 'not-bobs', body: 'x' })
    expect(await expectResponse(await bob.post('/listMessageBoxes', {}), 200)).toEqual({
      status: 'success',
      messageBoxes: [
        { messageBox: 'alpha', count: 2, bytes: 3 },
        { messageBox: 'zeta', count: 1, bytes: 6 },
      ],
    })
  })

  it('an empty list for a new identity; 400 ERR_INVALID_JSON for a body that is not JSON', async () => {
    const carol = newClient()
    expect(await expectResponse(await carol.post('/listMessageBoxes', { ignored: true }), 200)).toEqual({
      status: 'success',
      messageBoxes: [],
    })
    const res = await carol.fetch('/listMessageBoxes', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: 'nope',
    })
    await expectResponse(res, 400, 'ERR_INVALID_JSON')
  })
})
