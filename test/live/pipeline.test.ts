import { describe, expect, it } from 'vitest'
import { newClient } from '../helpers/client'
import { joinOwn, newMessageId, roomOf, sendLive, uniqueBox, useLiveClients } from '../helpers/live'
import { randomKey, storedFor } from '../helpers/messages'
import { setOk } from '../helpers/permissions'

const { authed } = useLiveClients()

const MAX_BODY = 1_048_576
const errorAck = (code: string) => ({ status: 'error', code, description: expect.any(String) })

describe('live: sendMessage runs the HTTP pipeline', () => {
  it.each(['polling', 'websocket'] as const)(
    'over %s, a body over 1048576 bytes is refused with ERR_MESSAGE_BODY_TOO_LARGE; nothing stored or pushed',
    async (transport) => {
      const a = await authed(transport)
      const b = await authed('websocket')
      const box = uniqueBox()
      await joinOwn(b, box)
      const { ack } = await sendLive(a, b.identityKey, box, {
        body: 'x'.repeat(MAX_BODY + 1),
        timeoutMs: 10_000,
      })
      expect(ack).toEqual(errorAck('ERR_MESSAGE_BODY_TOO_LARGE'))
      expect(await storedFor(b.identityKey)).toEqual([])
      await b.noEvent(`sendMessage-${roomOf(b.identityKey, box)}`, 500)
    },
  )

  it('a body of exactly 1048576 bytes (multi-byte characters counted as bytes) is accepted and pushed', async () => {
    const a = await authed('websocket')
    const b = await authed('websocket')
    const box = uniqueBox()
    await joinOwn(b, box)
    const body = 'é'.repeat(MAX_BODY / 2)
    const { ack, sent } = await sendLive(a, b.identityKey, box, { body, timeoutMs: 10_000 })
    expect(ack).toEqual({ status: 'success', messageId: sent.messageId })
    expect((await b.nextEvent(`sendMessage-${roomOf(b.identityKey, box)}`, 10_000)).body).toBe(body)
  })

  it('a body of 1048576 bytes plus one multi-byte character is refused', async () => {
    const a = await authed('websocket')
    const recipient = randomKey()
    const { ack } = await sendLive(a, recipient, uniqueBox(), {
      body: 'é'.repeat(MAX_BODY / 2 + 1),
      timeoutMs: 10_000,
    })
    expect(ack).toEqual(errorAck('ERR_MESSAGE_BODY_TOO_LARGE'))
    expect(await storedFor(recipient)).toEqual([])
  })

  it('a recipient that blocks the box: ERR_DELIVERY_BLOCKED, nothing stored or pushed', async () => {
    const a = await authed('polling')
    const b = await authed('websocket')
    const box = uniqueBox()
    await setOk(newClient({ privateKey: b.privateKey }), { messageBox: box, recipientFee: -1 })
    await joinOwn(b, box)
    const { ack } = await sendLive(a, b.identityKey, box)
    expect(ack).toEqual(errorAck('ERR_DELIVERY_BLOCKED'))
    expect(await storedFor(b.identityKey)).toEqual([])
    await b.noEvent(`sendMessage-${roomOf(b.identityKey, box)}`, 500)
  })

  it('a box with a fee and no payment: ERR_MISSING_PAYMENT_TX, as over HTTP', async () => {
    const a = await authed('websocket')
    const recipient = randomKey()
    const { ack } = await sendLive(a, recipient, 'notifications')
    expect(ack).toEqual(errorAck('ERR_MISSING_PAYMENT_TX'))
    expect(await storedFor(recipient)).toEqual([])
  })

  it('a blank body: the HTTP validation code ERR_INVALID_MESSAGE_BODY', async () => {
    const a = await authed('websocket')
    const recipient = randomKey()
    const { ack } = await sendLive(a, recipient, uniqueBox(), { body: '  ' })
    expect(ack).toEqual(errorAck('ERR_INVALID_MESSAGE_BODY'))
    expect(await storedFor(recipient)).toEqual([])
  })
})

describe('live: sendMessage roomId', () => {
  it('a roomId whose key is not message.recipient: ERR_INVALID_ROOM, nothing stored for either', async () => {
    const a = await authed('websocket')
    const [recipient, other] = [randomKey(), randomKey()]
    const roomId = roomOf(other, 'inbox')
    await a.emit('sendMessage', { roomId, message: { messageId: newMessageId(), recipient, body: 'x' } })
    expect(await a.nextEvent(`sendMessageAck-${roomId}`)).toEqual(errorAck('ERR_INVALID_ROOM'))
    expect(await storedFor(recipient)).toEqual([])
    expect(await storedFor(other)).toEqual([])
  })

  // A malformed roomId is ERR_INVALID_ROOM; a well-formed one whose box the HTTP validation refuses may carry
  // that validation's code instead.
  const roomOrBox = expect.stringMatching(/^ERR_INVALID_(ROOM|MESSAGEBOX)$/)
  it.each([
    ['no box', (key: string) => key, 'ERR_INVALID_ROOM'],
    ['not a key', () => 'nonsense-inbox', 'ERR_INVALID_ROOM'],
    ['a key of 65 characters', (key: string) => `${key.slice(1)}-inbox`, 'ERR_INVALID_ROOM'],
    ['an empty box', (key: string) => `${key}-`, roomOrBox],
    ['a control character in the box', (key: string) => `${key}-in\u0001box`, roomOrBox],
    ['a box of 130 bytes in 65 characters', (key: string) => `${key}-${'é'.repeat(65)}`, roomOrBox],
  ])('a roomId with %s is refused', async (_, room, code) => {
    const a = await authed('polling')
    const recipient = randomKey()
    const roomId = room(recipient)
    await a.emit('sendMessage', { roomId, message: { messageId: newMessageId(), recipient, body: 'x' } })
    expect(await a.nextEvent(`sendMessageAck-${roomId}`)).toEqual({
      status: 'error',
      code,
      description: expect.any(String),
    })
    expect(await storedFor(recipient)).toEqual([])
  })

  it('a roomId longer than any valid one (a box of 129 ASCII bytes) is not echoed: no ack, nothing stored', async () => {
    // The server bounds the event names it echoes; the real client then falls back to HTTP, which refuses.
    const a = await authed('polling')
    const recipient = randomKey()
    const roomId = roomOf(recipient, 'b'.repeat(129))
    await a.emit('sendMessage', { roomId, message: { messageId: newMessageId(), recipient, body: 'x' } })
    await a.noEvent(`sendMessageAck-${roomId}`, 1_500)
    expect(await storedFor(recipient)).toEqual([])
    expect((await sendLive(a, recipient, 'inbox')).ack.status).toBe('success')
  })

  it('the box comes from the roomId: everything after the key and its dash', async () => {
    const a = await authed('websocket')
    const recipient = randomKey()
    const box = `${uniqueBox('a-b')}-c`
    expect((await sendLive(a, recipient, box)).ack.status).toBe('success')
    expect((await storedFor(recipient)).map((m) => m.message_box)).toEqual([box])
  })
})
