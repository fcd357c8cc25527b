import { describe, expect, it } from 'vitest'
import { newClient } from '../helpers/client'
import type { LiveTransport } from '../helpers/live-client'
import { joinOwn, newBody, newMessageId, roomOf, sendLive, uniqueBox, useLiveClients } from '../helpers/live'
import { listOk, sendOk, storedFor } from '../helpers/messages'

const { authed } = useLiveClients()

const PAIRS: [LiveTransport, LiveTransport][] = [
  ['polling', 'polling'],
  ['websocket', 'polling'],
  ['polling', 'websocket'],
  ['websocket-only', 'websocket'],
  ['websocket', 'websocket-only'],
]

describe('live: sendMessage over the socket', () => {
  it.each(PAIRS)(
    'sender on %s, recipient on %s: ack with the id, push to the recipient, listed over HTTP',
    async (senderTransport, recipientTransport) => {
      const [a, b] = [await authed(senderTransport), await authed(recipientTransport)]
      const box = uniqueBox()
      await joinOwn(b, box)

      const { ack, sent } = await sendLive(a, b.identityKey, box)

      expect(ack).toEqual({ status: 'success', messageId: sent.messageId })
      expect(await b.nextEvent(`sendMessage-${roomOf(b.identityKey, box)}`)).toEqual({
        sender: a.identityKey,
        messageId: sent.messageId,
        body: sent.body,
      })
      const listed = await listOk(newClient({ privateKey: b.privateKey }), { messageBox: box })
      expect(listed.messages).toEqual([
        expect.objectContaining({ messageId: sent.messageId, sender: a.identityKey, body: sent.body }),
      ])
    },
  )

  it('the success ack comes only after the commit: the row is in D1 when it arrives', async () => {
    const a = await authed('websocket')
    const recipient = await authed('polling')
    const box = uniqueBox()
    const { ack, sent } = await sendLive(a, recipient.identityKey, box)
    expect(ack.status).toBe('success')
    expect(await storedFor(recipient.identityKey)).toEqual([
      expect.objectContaining({
        message_id: sent.messageId,
        sender: a.identityKey,
        message_box: box,
        body: sent.body,
      }),
    ])
  })

  it('pushes several messages in the order they were sent', async () => {
    const [a, b] = [await authed('websocket'), await authed('polling')]
    const box = uniqueBox()
    await joinOwn(b, box)
    const ids: string[] = []
    for (let i = 0; i < 3; i++) ids.push((await sendLive(a, b.identityKey, box)).sent.messageId)
    const pushed: string[] = []
    for (let i = 0; i < 3; i++)
      pushed.push((await b.nextEvent(`sendMessage-${roomOf(b.identityKey, box)}`)).messageId)
    expect(pushed).toEqual(ids)
  })

  it('every connection of the recipient that joined the room gets the push', async () => {
    const [a, b1] = [await authed('polling'), await authed('websocket')]
    const b2 = await authed('polling', b1.privateKey)
    const box = uniqueBox()
    await joinOwn(b1, box)
    await joinOwn(b2, box)
    const { sent } = await sendLive(a, b1.identityKey, box)
    const event = `sendMessage-${roomOf(b1.identityKey, box)}`
    expect((await b1.nextEvent(event)).messageId).toBe(sent.messageId)
    expect((await b2.nextEvent(event)).messageId).toBe(sent.messageId)
  })

  it('pushes to no one else: not the sender, not an unjoined connection of the recipient, not another box', async () => {
    const box = uniqueBox()
    const otherBox = uniqueBox()
    const a = await authed('websocket')
    await joinOwn(a, box)
    const joined = await authed('polling')
    await joinOwn(joined, otherBox)
    const unjoined = await authed('websocket', joined.privateKey)
    const { ack } = await sendLive(a, joined.identityKey, box)
    expect(ack.status).toBe('success')
    const event = `sendMessage-${roomOf(joined.identityKey, box)}`
    await Promise.all([a.noEvent(event), joined.noEvent(event), unjoined.noEvent(event)])
    for (const c of [a, joined, unjoined]) {
      expect(c.events.filter((e) => e.eventName.startsWith('sendMessage-'))).toEqual([])
    }
  })

  it('the payment-inbox box keeps its whole name in the room and the push', async () => {
    const [a, b] = [await authed('polling'), await authed('websocket')]
    await joinOwn(b, 'payment-inbox')
    const { ack, sent } = await sendLive(a, b.identityKey, 'payment-inbox')
    expect(ack).toEqual({ status: 'success', messageId: sent.messageId })
    expect(await b.nextEvent(`sendMessage-${b.identityKey}-payment-inbox`)).toEqual({
      sender: a.identityKey,
      messageId: sent.messageId,
      body: sent.body,
    })
    expect((await storedFor(b.identityKey)).map((m) => m.message_box)).toEqual(['payment-inbox'])
    const listed = await listOk(newClient({ privateKey: b.privateKey }), { messageBox: 'payment-inbox' })
    expect(listed.messages.map((m: { messageId: string }) => m.messageId)).toEqual([sent.messageId])
  })

  it('a repeated messageId is acked again, stored once and pushed once', async () => {
    const [a, b] = [await authed('websocket'), await authed('websocket')]
    const box = uniqueBox()
    await joinOwn(b, box)
    const messageId = newMessageId()
    const body = newBody()
    const first = await sendLive(a, b.identityKey, box, { messageId, body })
    const second = await sendLive(a, b.identityKey, box, { messageId, body })
    expect(first.ack).toEqual({ status: 'success', messageId })
    expect(second.ack).toEqual({ status: 'success', messageId })
    expect((await storedFor(b.identityKey)).map((m) => m.message_id)).toEqual([messageId])
    const event = `sendMessage-${roomOf(b.identityKey, box)}`
    expect((await b.nextEvent(event)).messageId).toBe(messageId)
    await b.noEvent(event)
  })

  it("the client's HTTP fallback with the same messageId after a live send is a duplicate, not a second push", async () => {
    const [a, b] = [await authed('polling'), await authed('websocket')]
    const box = uniqueBox()
    await joinOwn(b, box)
    const { sent } = await sendLive(a, b.identityKey, box)
    const event = `sendMessage-${roomOf(b.identityKey, box)}`
    expect((await b.nextEvent(event)).messageId).toBe(sent.messageId)
    const http = await sendOk(newClient({ privateKey: a.privateKey }), {
      recipient: b.identityKey,
      messageBox: box,
      messageId: sent.messageId,
      body: newBody(),
    })
    expect(http.results).toEqual([{ recipient: b.identityKey, messageId: sent.messageId, duplicate: true }])
    await b.noEvent(event)
    expect(await storedFor(b.identityKey)).toHaveLength(1)
  })
})

describe('live: HTTP sends are pushed too', () => {
  it.each(['polling', 'websocket'] as const)(
    'a POST /sendMessage to a recipient listening over %s is pushed',
    async (transport) => {
      const b = await authed(transport)
      const box = uniqueBox()
      await joinOwn(b, box)
      const alice = newClient()
      const body = newBody()
      const res = await sendOk(alice, { recipient: b.identityKey, messageBox: box, body })
      expect(await b.nextEvent(`sendMessage-${roomOf(b.identityKey, box)}`)).toEqual({
        sender: alice.identityKey,
        messageId: res.messageId,
        body,
      })
    },
  )

  it('a multi-recipient POST /sendMessage is pushed to each listening recipient with its own id', async () => {
    const [b, c] = [await authed('polling'), await authed('websocket')]
    const box = uniqueBox()
    await joinOwn(b, box)
    await joinOwn(c, box)
    const body = newBody()
    const res = await sendOk(newClient(), {
      recipients: [b.identityKey, c.identityKey],
      messageBox: box,
      body,
    })
    const idOf = (key: string) =>
      res.results.find((r: { recipient: string }) => r.recipient === key).messageId
    expect((await b.nextEvent(`sendMessage-${roomOf(b.identityKey, box)}`)).messageId).toBe(
      idOf(b.identityKey),
    )
    expect((await c.nextEvent(`sendMessage-${roomOf(c.identityKey, box)}`)).messageId).toBe(
      idOf(c.identityKey),
    )
  })
})
