import { CompletedProtoWallet, PrivateKey } from '@bsv/sdk'
import { MessageBoxClient } from '@bsv/message-box-client'
import { beforeAll, describe, expect, inject, it } from 'vitest'
import { authPost, boxName, newIdentity, newPlainClient, withTimeout, type Identity } from './helpers/clients'

// The unmodified @bsv/message-box-client 2.1.1 against `wrangler dev` (global-setup.ts), with
// its defaults: bodies encrypted (BRC-2), message ids = HMAC of the body.
const host = inject('relayUrl')

describe('@bsv/message-box-client against wrangler dev', () => {
  let alice: Identity, bob: Identity, carol: Identity
  beforeAll(async () => {
    ;[alice, bob, carol] = [newIdentity('alice', host), newIdentity('bob', host), newIdentity('carol', host)]
    for (const who of [alice, bob, carol]) await withTimeout(who.client.init(), `${who.name}.init`)
  })

  it('init() reaches the wallet and reports the identity key', async () => {
    expect(await alice.client.getIdentityKey()).toBe(alice.identityKey)
  })

  it('sends an encrypted message, lists it decrypted, acknowledges it', async () => {
    const messageBox = boxName('inbox')
    const sent = await withTimeout(
      alice.client.sendMessage({ recipient: bob.identityKey, messageBox, body: 'hello bob' }, host),
      'alice.sendMessage',
    )
    expect(sent.status).toBe('success')
    expect(sent.messageId).toMatch(/^[0-9a-f]{64}$/)

    const listed = await withTimeout(bob.client.listMessages({ messageBox, host }), 'bob.listMessages')
    expect(listed).toHaveLength(1)
    expect(listed[0]).toMatchObject({
      messageId: sent.messageId,
      sender: alice.identityKey,
      body: 'hello bob',
    })
    expect(listed[0]!.created_at).toEqual(expect.any(String))

    expect(
      await withTimeout(bob.client.acknowledgeMessage({ messageIds: [sent.messageId], host }), 'ack'),
    ).toBe('success')
    expect(await withTimeout(bob.client.listMessages({ messageBox, host }), 'bob.listMessages')).toEqual([])
  })

  it('stores only ciphertext: the relay never sees the plaintext', async () => {
    const messageBox = boxName('secret')
    const sent = await withTimeout(
      alice.client.sendMessage(
        { recipient: bob.identityKey, messageBox, body: 'the plaintext secret' },
        host,
      ),
      'alice.sendMessage',
    )
    // Bob's own AuthFetch, without the client's decryption: what the relay stored and serves.
    const raw = await authPost(bob.client.authFetch, `${host}/listMessages`, { messageBox })
    expect(raw.status, JSON.stringify(raw.body)).toBe(200)
    expect(raw.body.messages).toHaveLength(1)
    const stored = raw.body.messages[0]
    expect(stored.messageId).toBe(sent.messageId)
    expect(stored.body).not.toContain('plaintext')
    expect(JSON.parse(stored.body)).toEqual({ encryptedMessage: expect.any(String) })
  })

  it('round-trips an object body as an object', async () => {
    const messageBox = boxName('objects')
    const body = { type: 'ping', n: 42, nested: { ok: true, text: 'ünïcödé ✓' } }
    await withTimeout(
      alice.client.sendMessage({ recipient: bob.identityKey, messageBox, body }, host),
      'send',
    )
    const [message] = await withTimeout(bob.client.listMessages({ messageBox, host }), 'list')
    expect(message?.body).toEqual(body)
  })

  it('sends unencrypted with skipEncryption and lists the body as sent', async () => {
    const messageBox = boxName('plain')
    await withTimeout(
      alice.client.sendMessage(
        { recipient: bob.identityKey, messageBox, body: 'in the clear', skipEncryption: true },
        host,
      ),
      'send',
    )
    const raw = await authPost(bob.client.authFetch, `${host}/listMessages`, { messageBox })
    expect(raw.body.messages[0].body).toBe('in the clear')
    const [message] = await withTimeout(bob.client.listMessages({ messageBox, host }), 'list')
    expect(message?.body).toBe('in the clear')
  })

  it('three identities exchange messages; each lists only their own, in arrival order', async () => {
    const messageBox = boxName('chat')
    const send = (from: Identity, to: Identity, body: string) =>
      withTimeout(
        from.client.sendMessage({ recipient: to.identityKey, messageBox, body }, host),
        `${from.name}→${to.name}`,
      )
    await send(alice, bob, 'a→b 1')
    await send(carol, bob, 'c→b 1')
    await send(bob, alice, 'b→a 1')
    await send(bob, carol, 'b→c 1')
    await send(alice, bob, 'a→b 2')
    await send(carol, alice, 'c→a 1')

    const inbox = async (who: Identity) =>
      (await withTimeout(who.client.listMessages({ messageBox, host }), `${who.name}.list`)).map((m) => ({
        from: m.sender,
        body: m.body,
      }))
    // The relay lists oldest first; the client re-sorts by a `timestamp` field the relay does not send,
    // which (Array#sort being stable) keeps the relay's order.
    expect(await inbox(bob)).toEqual([
      { from: alice.identityKey, body: 'a→b 1' },
      { from: carol.identityKey, body: 'c→b 1' },
      { from: alice.identityKey, body: 'a→b 2' },
    ])
    expect(await inbox(alice)).toEqual([
      { from: bob.identityKey, body: 'b→a 1' },
      { from: carol.identityKey, body: 'c→a 1' },
    ])
    expect(await inbox(carol)).toEqual([{ from: bob.identityKey, body: 'b→c 1' }])
  })

  it('acknowledging one message leaves the others; another identity cannot acknowledge them', async () => {
    const messageBox = boxName('acks')
    const ids: string[] = []
    for (const body of ['one', 'two', 'three']) {
      ids.push(
        (
          await withTimeout(
            alice.client.sendMessage({ recipient: bob.identityKey, messageBox, body }, host),
            'send',
          )
        ).messageId,
      )
    }
    // Carol acknowledging Bob's ids: nothing of hers is waiting, so the relay refuses and keeps them.
    await expect(
      withTimeout(carol.client.acknowledgeMessage({ messageIds: ids, host }), 'carol.ack'),
    ).rejects.toThrow(/Failed to acknowledge messages on all hosts/)
    await withTimeout(bob.client.acknowledgeMessage({ messageIds: [ids[1]!], host }), 'bob.ack')
    const left = await withTimeout(bob.client.listMessages({ messageBox, host }), 'list')
    expect(left.map((m) => m.body)).toEqual(['one', 'three'])
  })

  it('keeps message boxes apart, including names with a "-" in them', async () => {
    const suffix = Math.random().toString(36).slice(2, 8)
    const dashed = `payment-requests-${suffix}`
    const other = `payment_requests_${suffix}`
    await withTimeout(
      alice.client.sendMessage({ recipient: bob.identityKey, messageBox: dashed, body: 'dash' }, host),
      'send',
    )
    await withTimeout(
      alice.client.sendMessage({ recipient: bob.identityKey, messageBox: other, body: 'underscore' }, host),
      'send',
    )
    const inDashed = await withTimeout(bob.client.listMessages({ messageBox: dashed, host }), 'list')
    expect(inDashed.map((m) => m.body)).toEqual(['dash'])
    const inOther = await withTimeout(bob.client.listMessages({ messageBox: other, host }), 'list')
    expect(inOther.map((m) => m.body)).toEqual(['underscore'])
    await withTimeout(bob.client.acknowledgeMessage({ messageIds: [inDashed[0]!.messageId], host }), 'ack')
    expect(await withTimeout(bob.client.listMessages({ messageBox: dashed, host }), 'list')).toEqual([])
  })

  it('accepts any printable box name: spaces, slashes, dots, non-ASCII', async () => {
    const messageBox = `${boxName('Boîte aux lettres')}/reçue.v1 ✉`
    await withTimeout(
      alice.client.sendMessage({ recipient: bob.identityKey, messageBox, body: 'unicode box' }, host),
      'send',
    )
    const listed = await withTimeout(bob.client.listMessages({ messageBox, host }), 'list')
    expect(listed.map((m) => m.body)).toEqual(['unicode box'])
  })

  it('a retried send (same body, same HMAC id, fresh ciphertext) is stored once', async () => {
    const messageBox = boxName('retry')
    const first = await withTimeout(
      alice.client.sendMessage({ recipient: bob.identityKey, messageBox, body: 'once' }, host),
      'send',
    )
    const again = await withTimeout(
      alice.client.sendMessage({ recipient: bob.identityKey, messageBox, body: 'once' }, host),
      'resend',
    )
    expect(again.messageId).toBe(first.messageId)
    const listed = await withTimeout(bob.client.listMessages({ messageBox, host }), 'list')
    expect(listed.map((m) => m.body)).toEqual(['once'])
  })

  it("a send with a payment nothing owed (the client's shape after a quote) is stored as the body alone and listed decrypted", async () => {
    // What sendMessage({ checkPermissions: true }) posts after a quote: the encrypted body plus `payment`. This
    // box owes nothing, so the payment is dropped (paid sends' wrappers: paid-delivery.test.ts).
    const messageBox = boxName('paid')
    const { ciphertext } = await alice.wallet.encrypt({
      protocolID: [1, 'messagebox'],
      keyID: '1',
      counterparty: bob.identityKey,
      plaintext: Array.from(new TextEncoder().encode('paid hello')),
    })
    const body = JSON.stringify({ encryptedMessage: Buffer.from(ciphertext).toString('base64') })
    const payment = { tx: [1, 2, 3], outputs: [], description: 'MessageBox delivery payment' }
    const res = await authPost(alice.client.authFetch, `${host}/sendMessage`, {
      message: {
        recipient: bob.identityKey,
        messageBox,
        messageId: `paid-${messageBox}`,
        body,
        checkPermissions: true,
      },
      payment,
    })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    const raw = await authPost(bob.client.authFetch, `${host}/listMessages`, { messageBox })
    expect(raw.body.messages[0].body).toBe(body)
    const listed = await withTimeout(
      bob.client.listMessages({ messageBox, host, acceptPayments: false }),
      'list',
    )
    expect(listed.map((m) => [m.messageId, m.body])).toEqual([[`paid-${messageBox}`, 'paid hello']])
  })

  it('listMessagesLite lists and decrypts from the given host', async () => {
    const messageBox = boxName('lite')
    await withTimeout(
      alice.client.sendMessage({ recipient: bob.identityKey, messageBox, body: { lite: true } }, host),
      'send',
    )
    const listed = await withTimeout(bob.client.listMessagesLite({ messageBox, host }), 'listMessagesLite')
    expect(listed.map((m) => m.body)).toEqual([{ lite: true }])
  })

  it('acknowledgeNotification acknowledges through the default host', async () => {
    const messageBox = boxName('notes')
    await withTimeout(
      alice.client.sendMessage({ recipient: bob.identityKey, messageBox, body: 'note' }, host),
      'send',
    )
    const [message] = await withTimeout(bob.client.listMessages({ messageBox, host }), 'list')
    expect(await withTimeout(bob.client.acknowledgeNotification(message!), 'acknowledgeNotification')).toBe(
      false,
    )
    expect(await withTimeout(bob.client.listMessages({ messageBox, host }), 'list')).toEqual([])
  })

  it('a message to yourself is encrypted for "self" and decrypts', async () => {
    const messageBox = boxName('self')
    await withTimeout(
      alice.client.sendMessage({ recipient: alice.identityKey, messageBox, body: 'memo' }, host),
      'send',
    )
    const [message] = await withTimeout(alice.client.listMessages({ messageBox, host }), 'list')
    expect(message).toMatchObject({ sender: alice.identityKey, body: 'memo' })
  })

  it('with only { host, walletClient } (default mainnet preset, overlay unreachable) it falls back to host', async () => {
    // No host argument on any call: the client asks the overlay (ls_messagebox), which cannot answer
    // here, and uses its configured host. The lookup fails fast (no DNS), well within the timeout.
    const dave = new MessageBoxClient({
      host,
      walletClient: new CompletedProtoWallet(PrivateKey.fromRandom()),
    })
    const erin = new MessageBoxClient({
      host,
      walletClient: new CompletedProtoWallet(PrivateKey.fromRandom()),
    })
    const messageBox = boxName('defaults')
    const erinKey = await erin.getIdentityKey()
    const sent = await withTimeout(
      dave.sendMessage({ recipient: erinKey, messageBox, body: 'via defaults' }),
      'send',
    )
    const listed = await withTimeout(erin.listMessages({ messageBox }), 'list')
    expect(listed.map((m) => [m.messageId, m.body])).toEqual([[sent.messageId, 'via defaults']])
    expect(await withTimeout(erin.acknowledgeMessage({ messageIds: [sent.messageId] }), 'ack')).toBe(
      'success',
    )
    expect(await withTimeout(erin.listMessages({ messageBox }), 'list')).toEqual([])
  })

  it('surfaces a relay refusal as a rejected promise (body over the 1 MiB limit: 413)', async () => {
    const body = 'x'.repeat(1024 * 1024 + 1)
    await expect(
      withTimeout(
        alice.client.sendMessage(
          { recipient: bob.identityKey, messageBox: boxName('big'), body, skipEncryption: true },
          host,
        ),
        'send',
      ),
    ).rejects.toThrow(/Failed to send message: Message sending failed: HTTP 413/)
  })
})

describe('multi-recipient sends', () => {
  let alice: Identity, bob: Identity, carol: Identity
  beforeAll(() => {
    ;[alice, bob, carol] = [newIdentity('alice', host), newIdentity('bob', host), newIdentity('carol', host)]
  })

  it("the client's own request shape (recipients[] + messageId[], as sendMesagetoRecepients posts it) reaches each recipient", async () => {
    // sendMesagetoRecepients itself first needs GET /permissions/quote (see unimplemented-routes.test.ts),
    // so post its exact body through the client's own AuthFetch, ids made the way it makes them.
    const messageBox = boxName('multi')
    const body = 'to both of you'
    const recipients = [bob.identityKey, carol.identityKey]
    const messageIds: string[] = []
    for (const counterparty of recipients) {
      const { hmac } = await alice.wallet.createHmac({
        data: Array.from(new TextEncoder().encode(JSON.stringify(body))),
        protocolID: [1, 'messagebox'],
        keyID: '1',
        counterparty,
      })
      messageIds.push(Buffer.from(hmac).toString('hex'))
    }
    const res = await authPost(alice.client.authFetch, `${host}/sendMessage`, {
      message: { recipients, messageBox, messageId: messageIds, body },
    })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.status).toBe('success')
    expect(res.body.results).toEqual([
      { recipient: bob.identityKey, messageId: messageIds[0] },
      { recipient: carol.identityKey, messageId: messageIds[1] },
    ])

    for (const [who, id] of [
      [bob, messageIds[0]!],
      [carol, messageIds[1]!],
    ] as const) {
      const listed = await withTimeout(who.client.listMessages({ messageBox, host }), `${who.name}.list`)
      expect(listed.map((m) => [m.messageId, m.sender, m.body])).toEqual([[id, alice.identityKey, body]])
      await withTimeout(who.client.acknowledgeMessage({ messageIds: [id], host }), `${who.name}.ack`)
    }
  })

  it('BRC-33 form (recipient: [K…], no ids): the relay generates one id per recipient', async () => {
    const messageBox = boxName('multi-brc33')
    const plain = newPlainClient(host)
    const res = await plain.post('/sendMessage', {
      message: { recipient: [bob.identityKey, carol.identityKey], messageBox, body: 'generated ids' },
    })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.results).toHaveLength(2)
    const [forBob, forCarol] = res.body.results as Array<{ recipient: string; messageId: string }>
    expect([forBob?.recipient, forCarol?.recipient]).toEqual([bob.identityKey, carol.identityKey])
    expect(typeof forBob?.messageId).toBe('string')

    const bobs = await withTimeout(bob.client.listMessages({ messageBox, host }), 'bob.list')
    expect(bobs.map((m) => [m.messageId, m.body])).toEqual([[forBob!.messageId, 'generated ids']])
    const carols = await withTimeout(carol.client.listMessages({ messageBox, host }), 'carol.list')
    expect(carols.map((m) => [m.messageId, m.body])).toEqual([[forCarol!.messageId, 'generated ids']])
  })

  it('the same encrypted message sent to two recipients one by one (the client default) decrypts for each', async () => {
    const messageBox = boxName('fanout')
    for (const to of [bob, carol]) {
      await withTimeout(
        alice.client.sendMessage({ recipient: to.identityKey, messageBox, body: 'fan-out' }, host),
        'send',
      )
    }
    for (const who of [bob, carol]) {
      const listed = await withTimeout(who.client.listMessages({ messageBox, host }), `${who.name}.list`)
      expect(listed.map((m) => m.body)).toEqual(['fan-out'])
    }
  })
})
