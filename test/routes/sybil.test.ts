import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { fromAddress, newClient, type TestClient } from '../helpers/client'
import { expectResponse, listOk, randomKey, storedFor } from '../helpers/messages'
import { buildPayment } from '../helpers/payments'
import { sendLive, useLiveClients } from '../helpers/live'
import { getOk, setOk } from '../helpers/permissions'
import { TEST_SERVER_IDENTITY_KEY } from '../helpers/relay'
import { relayWithEnv } from '../helpers/relay-with-env'

// Identities are free, so no handful of them may deny service (docs/contract.md "Common rules"). Client networks are
// given by CF-Connecting-IP, as Cloudflare gives them; the relay under test has small quotas so that filling an
// inbox or the store is cheap: 20 messages an inbox, 2 per sender (and per network) and recipient.
const SMALL = { INBOX_QUOTA: '20', SENDER_PER_RECIPIENT_QUOTA: '2', STRANGER_INBOX_SHARE: '0.5' }

/** A fresh /24 of the documentation ranges no other test uses, as its prefix (`a.b.c`). */
function newNetwork(): string {
  const [b, c] = crypto.getRandomValues(new Uint8Array(2))
  return `198.18.${b}.${c}`.split('.').slice(0, 3).join('.')
}

/** A client with its own identity whose requests come from `ip`, through a relay with `vars`. */
function clientFrom(ip: string, vars: Record<string, string> = SMALL): TestClient {
  return newClient({ fetch: fromAddress(ip, relayWithEnv(vars).fetch) })
}

function send(from: TestClient, recipient: string, messageBox = `box-${crypto.randomUUID()}`, body = 'x') {
  return from.post('/sendMessage', { message: { recipient, messageBox, body } })
}

describe('one network is one sender', () => {
  it('ten identities from one /24 cannot lock an inbox: together they hold one sender’s share; another network gets through', async () => {
    const victim = randomKey()
    const net = newNetwork()
    const codes: (string | number)[] = []
    for (let i = 1; i <= 10; i++) {
      const attacker = clientFrom(`${net}.${i}`)
      for (let j = 0; j < 2; j++) {
        const res = await send(attacker, victim)
        codes.push(res.status === 200 ? 200 : ((await res.json()) as { code: string }).code)
      }
    }
    expect(codes.slice(0, 2)).toEqual([200, 200])
    expect(new Set(codes.slice(2))).toEqual(new Set(['ERR_SENDER_QUOTA_EXCEEDED']))
    const refused = await send(clientFrom(`${net}.77`), victim)
    expect(await expectResponse(refused, 429, 'ERR_SENDER_QUOTA_EXCEEDED')).toMatchObject({
      resource: 'messages',
      limit: 2,
      recipient: victim,
      scope: 'network',
    })
    expect(await storedFor(victim)).toHaveLength(2)
    await expectResponse(await send(clientFrom(`${newNetwork()}.1`), victim), 200)
  })

  it('IPv6: one /48 is one network; the next /48 is another', async () => {
    const victim = randomKey()
    const prefix = `2001:db8:${crypto.getRandomValues(new Uint16Array(1))[0]!.toString(16)}`
    await expectResponse(await send(clientFrom(`${prefix}:1::1`), victim), 200)
    await expectResponse(await send(clientFrom(`${prefix}:ffff:1:2:3:4`), victim), 200)
    await expectResponse(await send(clientFrom(`${prefix}:2::9`), victim), 429, 'ERR_SENDER_QUOTA_EXCEEDED')
    const other = `2001:db9:${crypto.getRandomValues(new Uint16Array(1))[0]!.toString(16)}::1`
    await expectResponse(await send(clientFrom(other), victim), 200)
  })

  it('forty identities from one network filling the store stop at NETWORK_BYTES_QUOTA; a light sender elsewhere is unaffected', async () => {
    const vars = { ...SMALL, NETWORK_BYTES_QUOTA: String(20 * 1000) }
    const net = newNetwork()
    const body = 'b'.repeat(1000)
    const answers: number[] = []
    for (let i = 0; i < 40; i++) {
      answers.push((await send(clientFrom(`${net}.${i % 250}`, vars), randomKey(), 'inbox', body)).status)
    }
    expect(answers.filter((s) => s === 200)).toHaveLength(20)
    expect(answers.slice(20)).toEqual(Array(20).fill(429))
    const refused = await send(clientFrom(`${net}.251`, vars), randomKey(), 'inbox', body)
    expect(await expectResponse(refused, 429, 'ERR_SENDER_QUOTA_EXCEEDED')).toMatchObject({
      resource: 'bytes',
      limit: 20_000,
      scope: 'network',
    })
    await expectResponse(await send(clientFrom(`${newNetwork()}.9`, vars), randomKey(), 'inbox', body), 200)
  })

  it('many concurrent sends for the last slot of a network’s share of one inbox store exactly one', async () => {
    const victim = randomKey()
    const net = newNetwork()
    await expectResponse(await send(clientFrom(`${net}.1`), victim), 200)
    const racers = Array.from({ length: 8 }, (_, i) => clientFrom(`${net}.${i + 2}`))
    // One handshake each before the race, so the sends themselves race.
    await Promise.all(racers.map((c) => c.post('/listMessageBoxes', {})))
    const answers = await Promise.all(racers.map((c) => send(c, victim)))
    expect(answers.map((r) => r.status).sort()).toEqual([200, ...Array(7).fill(429)])
    expect(await storedFor(victim)).toHaveLength(2)
  })
})

describe('friends are never crowded out (STRANGER_INBOX_SHARE)', () => {
  it('strangers from ten networks fill their half of the inbox; then a sender the recipient allowed still gets through', async () => {
    const recipient = newClient({ fetch: relayWithEnv(SMALL).fetch })
    const codes: (string | number)[] = []
    for (let i = 0; i < 10; i++) {
      const net = newNetwork()
      for (let j = 0; j < 2; j++) {
        const res = await send(clientFrom(`${net}.${j + 1}`), recipient.identityKey)
        codes.push(res.status === 200 ? 200 : ((await res.json()) as { code: string }).code)
      }
    }
    expect(codes.filter((c) => c === 200)).toHaveLength(10)
    expect(codes.slice(10)).toEqual(Array(10).fill('ERR_INBOX_QUOTA_EXCEEDED'))
    const stranger = await send(clientFrom(`${newNetwork()}.1`), recipient.identityKey)
    expect(await expectResponse(stranger, 429, 'ERR_INBOX_QUOTA_EXCEEDED')).toMatchObject({
      resource: 'messages',
      limit: 10,
      scope: 'strangers',
    })

    // A friend everywhere (a rule for it in `*`), and one allowed in one box only.
    const [friend, boxFriend] = [clientFrom(`${newNetwork()}.1`), clientFrom(`${newNetwork()}.1`)]
    await setOk(recipient, { messageBox: '*', sender: friend.identityKey, recipientFee: 0 })
    await setOk(recipient, { messageBox: 'family', sender: boxFriend.identityKey, recipientFee: 0 })
    await expectResponse(await send(friend, recipient.identityKey), 200)
    await expectResponse(await send(boxFriend, recipient.identityKey, 'family'), 200)
    // The box rule allows it there only: elsewhere it is a stranger like any other.
    await expectResponse(
      await send(boxFriend, recipient.identityKey, 'elsewhere'),
      429,
      'ERR_INBOX_QUOTA_EXCEEDED',
    )
    const stored = await env.DB.prepare('SELECT sender, stranger FROM messages WHERE recipient = ?')
      .bind(recipient.identityKey)
      .all<{ sender: string; stranger: number }>()
    expect(
      stored.results
        .filter((r) => r.stranger === 0)
        .map((r) => r.sender)
        .sort(),
    ).toEqual([friend.identityKey, boxFriend.identityKey].sort())
  })
})

describe('recipient-wide rules (messageBox "*")', () => {
  it('set, get and list take "*"; it lists first (before any box name)', async () => {
    const owner = newClient()
    const friend = randomKey()
    await setOk(owner, { messageBox: 'alpha', recipientFee: 3 })
    await setOk(owner, { messageBox: '*', recipientFee: -1 })
    await setOk(owner, { messageBox: '*', sender: friend, recipientFee: 0 })
    const got = await getOk(owner, '/permissions/get', { messageBox: '*', sender: friend })
    expect(got.permission).toMatchObject({
      messageBox: '*',
      sender: friend,
      recipientFee: 0,
      status: 'always_allow',
    })
    const listed = await getOk(owner, '/permissions/list', {})
    expect(
      listed.permissions.map((p: { messageBox: string; sender: string | null }) => [p.messageBox, p.sender]),
    ).toEqual([
      ['*', null],
      ['*', friend],
      ['alpha', null],
    ])
    const onlyStar = await getOk(owner, '/permissions/list', { messageBox: '*' })
    expect(onlyStar.totalCount).toBe(2)
  })

  it('a "*" block refuses a box the recipient never named, while a friend’s "*" allow still delivers', async () => {
    const bob = newClient()
    const [stranger, friend] = [newClient(), newClient()]
    await setOk(bob, { messageBox: '*', recipientFee: -1 })
    await setOk(bob, { messageBox: '*', sender: friend.identityKey, recipientFee: 0 })
    const box = `never-named-${crypto.randomUUID()}`
    const blocked = await send(stranger, bob.identityKey, box)
    expect(await expectResponse(blocked, 403, 'ERR_DELIVERY_BLOCKED')).toMatchObject({
      blockedRecipients: [bob.identityKey],
    })
    await expectResponse(await send(friend, bob.identityKey, box), 200)
    expect(
      (await listOk(bob, { messageBox: box })).messages.map((m: { sender: string }) => m.sender),
    ).toEqual([friend.identityKey])
  })

  it('precedence, most specific first: (box, sender) > ("*", sender) > (box, everyone) > ("*", everyone) > defaults', async () => {
    const bob = newClient()
    const sender = newClient()
    const quote = async (messageBox: string) =>
      (await getOk(sender, '/permissions/quote', { recipient: bob.identityKey, messageBox })).quote
        .recipientFee
    // Nothing set: the configured default (wrangler.toml: notifications 10, other boxes 0).
    expect([await quote('inbox'), await quote('notifications')]).toEqual([0, 10])
    await setOk(bob, { messageBox: '*', recipientFee: 4 })
    expect([await quote('inbox'), await quote('notifications')]).toEqual([4, 4])
    await setOk(bob, { messageBox: 'inbox', recipientFee: 3 })
    expect([await quote('inbox'), await quote('other')]).toEqual([3, 4])
    await setOk(bob, { messageBox: '*', sender: sender.identityKey, recipientFee: 2 })
    expect([await quote('inbox'), await quote('other')]).toEqual([2, 2])
    await setOk(bob, { messageBox: 'inbox', sender: sender.identityKey, recipientFee: 1 })
    expect([await quote('inbox'), await quote('other')]).toEqual([1, 2])
    // The send is admitted by the same rules: a block of this sender in one box wins over its "*" allow.
    await setOk(bob, { messageBox: 'walled', sender: sender.identityKey, recipientFee: -1 })
    await expectResponse(await send(sender, bob.identityKey, 'walled'), 403, 'ERR_DELIVERY_BLOCKED')
  })

  it('DEFAULT_RECIPIENT_FEES {"*": n} is the default for every box without an entry of its own', async () => {
    const vars = { DEFAULT_RECIPIENT_FEES: '{"*": 7, "open": 0}' }
    const sender = newClient({ fetch: relayWithEnv(vars).fetch })
    const bob = randomKey()
    const quote = async (messageBox: string) =>
      (await getOk(sender, '/permissions/quote', { recipient: bob, messageBox })).quote.recipientFee
    expect([await quote('anything'), await quote('open')]).toEqual([7, 0])
    await expectResponse(await send(sender, bob, 'anything'), 400, 'ERR_MISSING_PAYMENT_TX')
    await expectResponse(await send(sender, bob, 'open'), 200)
  })
})

describe('nothing unpaid is stored as payment', () => {
  it('a payment field on a send that owes nothing is neither checked nor stored: the listed body is the body', async () => {
    const [alice, bob] = [newClient(), newClient()]
    const res = await alice.post('/sendMessage', {
      message: { recipient: bob.identityKey, messageBox: 'inbox', body: 'just this' },
      payment: { tx: [1, 2, 3], outputs: [{ junk: 'x'.repeat(5000) }], description: 'not owed' },
    })
    await expectResponse(res, 200)
    expect(
      (await listOk(bob, { messageBox: 'inbox' })).messages.map((m: { body: string }) => m.body),
    ).toEqual(['just this'])
    expect((await storedFor(bob.identityKey)).map((m) => m.body)).toEqual(['just this'])
  })
})

describe('storage pressure costs the heavy, not the light', () => {
  /** The database's size now, as D1 reports it after a statement. */
  async function databaseBytes(): Promise<number> {
    const { meta } = await env.DB.prepare('SELECT 1').run()
    return meta.size_after
  }

  it('above STORAGE_PRESSURE: health says so; a heavy sender’s quote carries the fee, unpaid it is 507, paid it is stored; a light sender is unaffected', async () => {
    // The database sits at 80 % of this limit: above the pressure (70 %), below full (90 %).
    const vars = {
      MAX_DATABASE_BYTES: String(Math.ceil((await databaseBytes()) / 0.8)),
      PRESSURE_SENDER_BYTES: '1000',
      PRESSURE_DELIVERY_FEE: '100',
    }
    const relay = relayWithEnv(vars)
    const heavy = newClient({ fetch: relay.fetch })
    const light = newClient({ fetch: relay.fetch })
    const bob = randomKey()
    // The heavy sender's first send is light (nothing waiting yet), and it makes the relay read the size.
    await expectResponse(await send(heavy, randomKey(), 'inbox', 'h'.repeat(1500)), 200)
    const health = await relay.fetch('https://relay.test/health', { method: 'GET' })
    expect(await health.json()).toMatchObject({ status: 'ok', storage: 'pressure' })

    const quote = await getOk(heavy, '/permissions/quote', { recipient: bob, messageBox: 'inbox' })
    expect(quote.quote).toEqual({ deliveryFee: 100, recipientFee: 0 })
    expect((await getOk(light, '/permissions/quote', { recipient: bob, messageBox: 'inbox' })).quote).toEqual(
      {
        deliveryFee: 0,
        recipientFee: 0,
      },
    )
    await expectResponse(await send(heavy, bob, 'inbox', 'unpaid'), 507, 'ERR_STORAGE_FULL')
    expect(await storedFor(bob)).toEqual([])

    const built = await buildPayment({
      sender: heavy.privateKey,
      serverIdentityKey: TEST_SERVER_IDENTITY_KEY,
      deliveryFee: 100,
      recipients: [{ identityKey: bob, fee: 0 }],
    })
    const paid = await heavy.post('/sendMessage', {
      message: { recipient: bob, messageBox: 'inbox', body: 'paid' },
      payment: built.payment,
    })
    await expectResponse(paid, 200)
    // Every send under pressure is logged with what its sender holds (the light one's too).
    const logged: unknown[] = []
    const warn = console.warn
    console.warn = (line: unknown) => logged.push(line)
    try {
      await expectResponse(await send(light, bob, 'inbox', 'light'), 200)
    } finally {
      console.warn = warn
    }
    expect(logged.map((line) => JSON.parse(String(line)))).toContainEqual({
      storage: 'pressure',
      sender: light.identityKey.slice(0, 8),
      senderBytes: 0,
      heavy: false,
      paid: false,
    })
    expect((await storedFor(bob)).map((m) => m.sender).sort()).toEqual(
      [heavy.identityKey, light.identityKey].sort(),
    )
  })
})

describe('one network is one sender over the live socket too', () => {
  const { authed } = useLiveClients()

  it('a socket send counts against the network of the connection’s address, as an HTTP send from there does', async () => {
    const victim = randomKey()
    const net = newNetwork()
    // An HTTP send from the network, then its share of the victim's inbox filled up (rows as that network's).
    await expectResponse(await send(newClient({ fetch: fromAddress(`${net}.1`) }), victim), 200)
    const { network } = (await env.DB.prepare('SELECT network FROM messages WHERE recipient = ?')
      .bind(victim)
      .first<{ network: string }>())!
    expect(network).toMatch(/^[0-9a-f]{32}$/)
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 999)
       INSERT INTO messages (message_id, recipient, message_box, sender, body_id, body_suffix, created_at, expires_at, size, network)
       SELECT 'fill-' || i, ?1, 'inbox', ?2, 0, 'x', 0, ?3, 1, ?4 FROM n`,
    )
      .bind(victim, randomKey(), Number.MAX_SAFE_INTEGER, network)
      .run()
    const fromNet = await authed('websocket', undefined, `${net}.200`)
    const refused = await sendLive(fromNet, victim, 'inbox')
    expect(refused.ack).toMatchObject({ status: 'error', code: 'ERR_SENDER_QUOTA_EXCEEDED' })
    const elsewhere = await authed('websocket', undefined, `${newNetwork()}.1`)
    expect((await sendLive(elsewhere, victim, 'inbox')).ack.status).toBe('success')
  })
})
