import { type MessageBoxClient, PeerPayClient } from '@bsv/message-box-client'
import { PrivateKey } from '@bsv/sdk'
import { beforeAll, describe, expect, inject, it } from 'vitest'
import {
  boxName,
  newIdentity,
  newPlainClient,
  TestPaymentWallet,
  withTimeout,
  type Identity,
} from './helpers/clients'

// @bsv/message-box-client 2.1.1, unmodified, against `wrangler dev`: permissions, quotes and the sends that
// depend on them. wrangler.toml's defaults apply: notifications cost 10 sat to the relay and 10 to the recipient.
/** The several-recipient answer of getMessageBoxQuote (the package does not export its name). */
type MessageBoxMultiQuote = Extract<
  Awaited<ReturnType<MessageBoxClient['getMessageBoxQuote']>>,
  { quotesByRecipient: unknown }
>

const host = inject('relayUrl')
const relayKey = inject('relayIdentityKey')

describe('permissions through message-box-client', () => {
  let alice: Identity, bob: Identity
  beforeAll(() => {
    ;[alice, bob] = [newIdentity('alice', host), newIdentity('bob', host)]
  })

  it('setMessageBoxPermission / getMessageBoxPermission: a box-wide rule and a sender rule, read back exactly', async () => {
    const messageBox = boxName('perm')
    await withTimeout(
      bob.client.setMessageBoxPermission({ messageBox, recipientFee: 25 }, host),
      'set box-wide',
    )
    await withTimeout(
      bob.client.setMessageBoxPermission({ messageBox, sender: alice.identityKey, recipientFee: -1 }, host),
      'set sender',
    )
    const boxWide = await withTimeout(
      bob.client.getMessageBoxPermission({ recipient: bob.identityKey, messageBox }, host),
      'get box-wide',
    )
    expect(boxWide).toMatchObject({ sender: null, messageBox, recipientFee: 25, status: 'payment_required' })
    const forAlice = await withTimeout(
      bob.client.getMessageBoxPermission(
        { recipient: bob.identityKey, messageBox, sender: alice.identityKey },
        host,
      ),
      'get sender',
    )
    expect(forAlice).toMatchObject({ sender: alice.identityKey, recipientFee: -1, status: 'blocked' })
    const unset = await withTimeout(
      bob.client.getMessageBoxPermission({ recipient: bob.identityKey, messageBox: boxName('none') }, host),
      'get unset',
    )
    expect(unset).toBeNull()
  })

  it("setMessageBoxPermission with a bad fee surfaces the relay's description", async () => {
    await expect(
      withTimeout(
        bob.client.setMessageBoxPermission({ messageBox: 'inbox', recipientFee: 1.5 }, host),
        'set',
      ),
    ).rejects.toThrow(/Failed to set permission: HTTP 400 - recipientFee must be an integer/)
  })

  it('listMessageBoxPermissions: rows come back with messageBox and recipientFee filled (snake_case on the wire)', async () => {
    const carol = newIdentity('carol', host)
    const messageBox = boxName('listed')
    await withTimeout(carol.client.setMessageBoxPermission({ messageBox, recipientFee: 3 }, host), 'set')
    await withTimeout(
      carol.client.setMessageBoxPermission({ messageBox, sender: alice.identityKey, recipientFee: 0 }, host),
      'set',
    )
    const rows = await withTimeout(carol.client.listMessageBoxPermissions({ messageBox }, host), 'list')
    expect(rows).toEqual([
      expect.objectContaining({ sender: null, messageBox, recipientFee: 3, status: 'payment_required' }),
      expect.objectContaining({
        sender: alice.identityKey,
        messageBox,
        recipientFee: 0,
        status: 'always_allow',
      }),
    ])
    for (const row of rows) {
      expect(Date.parse(row.createdAt)).toBeGreaterThan(0)
      expect(Date.parse(row.updatedAt)).toBeGreaterThan(0)
    }
    const paged = await withTimeout(
      carol.client.listMessageBoxPermissions({ limit: 1, offset: 1 }, host),
      'page',
    )
    expect(paged.map((r) => r.sender)).toEqual([alice.identityKey])
  })

  it('allow / deny / checkPeerNotificationStatus / listPeerNotifications', async () => {
    const dave = newIdentity('dave', host)
    const [friend, foe] = [newIdentity('friend', host), newIdentity('foe', host)]
    await withTimeout(dave.client.allowNotificationsFromPeer(friend.identityKey, 0, host), 'allow')
    await withTimeout(dave.client.denyNotificationsFromPeer(foe.identityKey, host), 'deny')
    expect(
      await withTimeout(dave.client.checkPeerNotificationStatus(friend.identityKey, host), 'check'),
    ).toMatchObject({
      sender: friend.identityKey,
      messageBox: 'notifications',
      recipientFee: 0,
      status: 'always_allow',
    })
    expect(
      await withTimeout(dave.client.checkPeerNotificationStatus(foe.identityKey, host), 'check'),
    ).toMatchObject({
      recipientFee: -1,
      status: 'blocked',
    })
    const listed = await withTimeout(dave.client.listPeerNotifications(host), 'listPeerNotifications')
    expect(listed.map((p) => [p.sender, p.messageBox, p.recipientFee]).sort()).toEqual(
      [
        [friend.identityKey, 'notifications', 0],
        [foe.identityKey, 'notifications', -1],
      ].sort(),
    )
  })
})

describe('quotes and the sends that use them', () => {
  it('getMessageBoxQuote: one recipient (the relay signs it: its key is the delivery agent) and several', async () => {
    const [alice, bob, carol] = [
      newIdentity('alice', host),
      newIdentity('bob', host),
      newIdentity('carol', host),
    ]
    const one = await withTimeout(
      alice.client.getMessageBoxQuote({ recipient: bob.identityKey, messageBox: 'notifications' }, host),
      'quote',
    )
    expect(one).toEqual({ recipientFee: 10, deliveryFee: 10, deliveryAgentIdentityKey: relayKey })

    await withTimeout(
      carol.client.setMessageBoxPermission({ messageBox: 'notifications', recipientFee: -1 }, host),
      'set',
    )
    const many = (await withTimeout(
      alice.client.getMessageBoxQuote(
        { recipient: [bob.identityKey, carol.identityKey], messageBox: 'notifications' },
        host,
      ),
      'multi-quote',
    )) as MessageBoxMultiQuote
    expect(many.quotesByRecipient).toEqual([
      {
        recipient: bob.identityKey,
        messageBox: 'notifications',
        deliveryFee: 10,
        recipientFee: 10,
        status: 'payment_required',
      },
      {
        recipient: carol.identityKey,
        messageBox: 'notifications',
        deliveryFee: 10,
        recipientFee: -1,
        status: 'blocked',
      },
    ])
    expect(many.blockedRecipients).toEqual([carol.identityKey])
    expect(many.deliveryAgentIdentityKeyByHost).toEqual({ [host]: relayKey })
  })

  it('sendMesagetoRecepients to two recipients: quote, empty batch payment, one POST; both list it', async () => {
    const [alice, bob, carol] = [
      newIdentity('alice', host),
      newIdentity('bob', host),
      newIdentity('carol', host),
    ]
    const messageBox = boxName('batch')
    const result = await withTimeout(
      alice.client.sendMesagetoRecepients(
        { recipients: [bob.identityKey, carol.identityKey], messageBox, body: { hello: 'both' } },
        host,
      ),
      'sendMesagetoRecepients',
    )
    expect(result).toMatchObject({ status: 'success', blocked: [], failed: [] })
    expect(result.sent.map((s: { recipient: string }) => s.recipient)).toEqual([
      bob.identityKey,
      carol.identityKey,
    ])
    // Nothing owed, so the wallet was asked for a transaction with no outputs, and the relay did not check it.
    expect(alice.wallet.createdActions.map((a) => a.outputs ?? [])).toEqual([[]])
    for (const who of [bob, carol]) {
      const listed = await withTimeout(who.client.listMessages({ messageBox, host }), 'list')
      expect(listed.map((m) => [m.sender, m.body])).toEqual([[alice.identityKey, { hello: 'both' }]])
    }
  })

  it('sendMesagetoRecepients skips a blocked recipient (quote) and delivers to the others', async () => {
    const [alice, bob, carol] = [
      newIdentity('alice', host),
      newIdentity('bob', host),
      newIdentity('carol', host),
    ]
    const messageBox = boxName('batch-blocked')
    await withTimeout(carol.client.setMessageBoxPermission({ messageBox, recipientFee: -1 }, host), 'block')
    const result = await withTimeout(
      alice.client.sendMesagetoRecepients(
        { recipients: [bob.identityKey, carol.identityKey], messageBox, body: 'x' },
        host,
      ),
      'send',
    )
    expect(result).toMatchObject({ status: 'success', blocked: [carol.identityKey] })
    expect(await withTimeout(carol.client.listMessages({ messageBox, host }), 'list')).toEqual([])
    expect(await withTimeout(bob.client.listMessages({ messageBox, host }), 'list')).toHaveLength(1)
  })

  it('sendMessage({ checkPermissions: true }) into a free box: quotes, pays nothing, delivers', async () => {
    const [alice, bob] = [newIdentity('alice', host), newIdentity('bob', host)]
    const messageBox = boxName('checked')
    const sent = await withTimeout(
      alice.client.sendMessage(
        { recipient: bob.identityKey, messageBox, body: 'checked', checkPermissions: true },
        host,
      ),
      'checked send',
    )
    expect(sent.status).toBe('success')
    expect(alice.wallet.createdActions).toEqual([])
    expect(
      (await withTimeout(bob.client.listMessages({ messageBox, host }), 'list')).map((m) => m.body),
    ).toEqual(['checked'])
  })

  it('sendMessage({ checkPermissions: true }) to a recipient who blocks the box: the client refuses; unchecked, the relay answers 403; nothing stored', async () => {
    const [alice, bob] = [newIdentity('alice', host), newIdentity('bob', host)]
    const messageBox = boxName('blocked')
    await withTimeout(
      bob.client.setMessageBoxPermission({ messageBox, sender: alice.identityKey, recipientFee: -1 }, host),
      'block',
    )
    await expect(
      withTimeout(
        alice.client.sendMessage(
          { recipient: bob.identityKey, messageBox, body: 'x', checkPermissions: true },
          host,
        ),
        'send',
      ),
    ).rejects.toThrow(/You have been blocked from sending messages to this recipient/)
    // Without the client's check, the relay itself refuses (403).
    await expect(
      withTimeout(
        alice.client.sendMessage({ recipient: bob.identityKey, messageBox, body: 'x' }, host),
        'send',
      ),
    ).rejects.toThrow(/HTTP 403/)
    expect(await withTimeout(bob.client.listMessages({ messageBox, host }), 'list')).toEqual([])
  })

  it('sendNotification (10 + 10 sat): the client pays, and the relay refuses a payment that is no transaction; nothing stored', async () => {
    const [alice, bob] = [newIdentity('alice', host), newIdentity('bob', host)]
    await expect(
      withTimeout(alice.client.sendNotification(bob.identityKey, 'ping', host), 'notify'),
    ).rejects.toThrow(/HTTP 400/)
    // The client asked its wallet for the delivery output (10) and the recipient's (10).
    expect(alice.wallet.createdActions.map((a) => a.outputs?.map((o) => o.satoshis))).toEqual([[10, 10]])
    expect(await withTimeout(bob.client.listMessages({ messageBox: 'notifications', host }), 'list')).toEqual(
      [],
    )
  })

  it('a plain sendMessage into a paid box without payment: 400 ERR_MISSING_PAYMENT_TX from the relay', async () => {
    const alice = newPlainClient(host)
    const bob = PrivateKey.fromRandom().toPublicKey().toString()
    const res = await alice.post('/sendMessage', {
      message: { recipient: bob, messageBox: 'notifications', body: 'x' },
    })
    expect(res).toMatchObject({ status: 400, body: { code: 'ERR_MISSING_PAYMENT_TX' } })
  })
})

describe("PeerPay's payment-request whitelist", () => {
  const peerPay = (name: string) => {
    const key = PrivateKey.fromRandom()
    return {
      name,
      identityKey: key.toPublicKey().toString(),
      client: new PeerPayClient({ messageBoxHost: host, walletClient: new TestPaymentWallet(key) }),
    }
  }

  it('a box-wide block on payment_requests with one sender allowed: only that sender gets through', async () => {
    const [bob, friend, stranger] = [peerPay('bob'), peerPay('friend'), peerPay('stranger')]
    await withTimeout(
      bob.client.setMessageBoxPermission({ messageBox: 'payment_requests', recipientFee: -1 }),
      'block all',
    )
    await withTimeout(
      bob.client.allowPaymentRequestsFrom({ identityKey: friend.identityKey }),
      'allow friend',
    )
    expect(await withTimeout(bob.client.listPaymentRequestPermissions(), 'list')).toEqual([
      { identityKey: friend.identityKey, allowed: true },
    ])

    const request = {
      recipient: bob.identityKey,
      amount: 1000,
      description: 'lunch',
      expiresAt: Date.now() + 3_600_000,
    }
    const { requestId } = await withTimeout(friend.client.requestPayment(request, host), 'friend requests')
    await expect(
      withTimeout(stranger.client.requestPayment(request, host), 'stranger requests'),
    ).rejects.toThrow("Payment request blocked — you are not on the recipient's whitelist.")
    const incoming = await withTimeout(bob.client.listIncomingPaymentRequests(host), 'incoming')
    expect(incoming.map((r) => [r.requestId, r.sender, r.amount])).toEqual([
      [requestId, friend.identityKey, 1000],
    ])

    await withTimeout(
      bob.client.blockPaymentRequestsFrom({ identityKey: friend.identityKey }),
      'block friend',
    )
    await expect(withTimeout(friend.client.requestPayment(request, host), 'friend again')).rejects.toThrow(
      /not on the recipient's whitelist/,
    )
  })
})
