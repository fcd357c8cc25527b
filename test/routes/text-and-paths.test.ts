import { createExecutionContext, env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { createApp } from '../../src/app'
import { newClient } from '../helpers/client'
import { expectResponse, listOk, randomKey, sendOk, storedFor } from '../helpers/messages'
import { RELAY_ORIGIN } from '../helpers/relay'

// A lone surrogate, as JSON carries it ("\ud800" survives JSON.stringify as an escape).
const LONE = 'box\ud800'

describe('text that is not well-formed Unicode is refused, never altered', () => {
  it("sendMessage: a lone surrogate in messageBox, messageId or a string body is the field's 400; nothing stored", async () => {
    const alice = newClient()
    const bob = randomKey()
    const cases: [Record<string, unknown>, string][] = [
      [{ messageBox: LONE, body: 'x' }, 'ERR_INVALID_MESSAGEBOX'],
      [{ messageBox: 'inbox', messageId: 'id\udfff', body: 'x' }, 'ERR_INVALID_MESSAGEID'],
      [{ messageBox: 'inbox', body: 'half a pair: \ud83d' }, 'ERR_INVALID_MESSAGE_BODY'],
    ]
    for (const [fields, code] of cases) {
      const res = await alice.post('/sendMessage', { message: { recipient: bob, ...fields } })
      await expectResponse(res, 400, code)
    }
    expect(await storedFor(bob)).toEqual([])
  })

  it('an object body with a lone surrogate is stored as its JSON, which escapes it, and listed back the same', async () => {
    const [alice, bob] = [newClient(), newClient()]
    await sendOk(alice, { recipient: bob.identityKey, messageBox: 'inbox', body: { note: 'x\ud800' } })
    const listed = await listOk(bob, { messageBox: 'inbox' })
    expect(listed.messages[0].body).toBe('{"note":"x\\ud800"}')
  })

  it('well-formed astral characters (surrogate pairs) are accepted and round-trip exactly', async () => {
    const [alice, bob] = [newClient(), newClient()]
    const box = 'box 📬'
    await sendOk(alice, { recipient: bob.identityKey, messageBox: box, messageId: 'id-😀', body: 'hi 👋' })
    const listed = await listOk(bob, { messageBox: box })
    expect(listed.messages.map((m: any) => [m.messageId, m.body])).toEqual([['id-😀', 'hi 👋']])
    await expectResponse(await bob.post('/acknowledgeMessage', { messageIds: ['id-😀'] }), 200)
  })

  it('listMessages and acknowledgeMessage refuse a lone surrogate with their codes', async () => {
    const bob = newClient()
    await expectResponse(await bob.post('/listMessages', { messageBox: LONE }), 400, 'ERR_INVALID_MESSAGEBOX')
    const ack = await bob.post('/acknowledgeMessage', { messageIds: ['ok', 'id\ud800'] })
    await expectResponse(ack, 400, 'ERR_INVALID_MESSAGE_ID')
  })

  it('permissions and devices refuse a lone surrogate too', async () => {
    const bob = newClient()
    const set = await bob.post('/permissions/set', { messageBox: LONE, recipientFee: 0 })
    await expectResponse(set, 400, 'ERR_INVALID_MESSAGE_BOX')
    const device = await bob.post('/registerDevice', { fcmToken: 'token\udc00' })
    await expectResponse(device, 400, 'ERR_INVALID_FCM_TOKEN')
  })
})

describe('a path is matched as sent', () => {
  it('a percent-encoded alias of /sendMessage is a signed 404 and stores nothing', async () => {
    const alice = newClient()
    const bob = randomKey()
    const res = await alice.fetch('/%73endMessage', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: { recipient: bob, messageBox: 'inbox', body: 'x' } }),
    })
    expect(await expectResponse(res, 404, 'ERR_NOT_FOUND')).toMatchObject({
      description: 'No route for POST /%73endMessage.',
    })
    expect(await storedFor(bob)).toEqual([])
    // The real spelling still works.
    await sendOk(alice, { recipient: bob, messageBox: 'inbox', body: 'x' })
  })
})

describe('an upload that stops half-way', () => {
  it('is a 400 ERR_REQUEST_ABORTED, not a 500', async () => {
    const encoder = new TextEncoder()
    let sent = false
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (!sent) {
          sent = true
          controller.enqueue(encoder.encode('{"message":{"recipient":'))
        } else controller.error(new Error('client disconnected'))
      },
    })
    const request = new Request(`${RELAY_ORIGIN}/sendMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      // @ts-expect-error workerd's RequestInit lacks `duplex`, which a streamed body needs elsewhere.
      duplex: 'half',
    })
    const res = await createApp().request(request, undefined, env, createExecutionContext())
    expect(res.status, await res.clone().text()).toBe(400)
    expect(await res.json()).toMatchObject({ status: 'error', code: 'ERR_REQUEST_ABORTED' })
  })
})
