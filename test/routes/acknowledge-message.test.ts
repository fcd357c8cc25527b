import { describe, expect, it } from 'vitest'
import { newClient } from '../helpers/client'
import { expectResponse, fillBox, listOk, randomKey, sendOk, storedFor } from '../helpers/messages'

describe('POST /acknowledgeMessage', () => {
  describe('contract table', () => {
    const cases: [string, unknown, string][] = [
      ['messageIds missing', {}, 'ERR_MESSAGE_ID_REQUIRED'],
      ['messageIds null', { messageIds: null }, 'ERR_MESSAGE_ID_REQUIRED'],
      ['messageIds []', { messageIds: [] }, 'ERR_MESSAGE_ID_REQUIRED'],
      ['messageIds not an array', { messageIds: 'm1' }, 'ERR_INVALID_MESSAGE_ID'],
      ['an object element', { messageIds: ['m1', { id: 'm2' }] }, 'ERR_INVALID_MESSAGE_ID'],
      ['a negative integer', { messageIds: [-1] }, 'ERR_INVALID_MESSAGE_ID'],
      ['a fraction', { messageIds: [1.5] }, 'ERR_INVALID_MESSAGE_ID'],
      ['null element', { messageIds: [null] }, 'ERR_INVALID_MESSAGE_ID'],
      [
        '1001 ids',
        { messageIds: Array.from({ length: 1001 }, (_, i) => `m${i}`) },
        'ERR_TOO_MANY_MESSAGE_IDS',
      ],
      ['none of the ids waiting for the caller', { messageIds: ['nope', 7] }, 'ERR_INVALID_ACKNOWLEDGMENT'],
    ]
    for (const [name, request, code] of cases) {
      it(`${name} → 400 ${code}`, async () => {
        const body = await expectResponse(await newClient().post('/acknowledgeMessage', request), 400, code)
        if (code === 'ERR_INVALID_ACKNOWLEDGMENT') expect(body.description).toBe('Message not found!')
      })
    }

    it('1000 ids are accepted → 200 {status, acknowledged: n}', async () => {
      const bob = newClient()
      await fillBox(bob.identityKey, 'inbox', 1000)
      const messageIds = Array.from({ length: 1000 }, (_, i) => `fill-${i + 1}`)
      const body = await expectResponse(await bob.post('/acknowledgeMessage', { messageIds }), 200)
      expect(body).toEqual({ status: 'success', acknowledged: 1000 })
      expect(await storedFor(bob.identityKey)).toEqual([])
    })
  })

  it("deletes across all of the caller's boxes; unknown ids alongside are ignored; repeats count once", async () => {
    const [alice, bob] = [newClient(), newClient()]
    await sendOk(alice, { recipient: bob.identityKey, messageBox: 'a', messageId: 'in-a', body: 'x' })
    await sendOk(alice, { recipient: bob.identityKey, messageBox: 'b', messageId: 'in-b', body: 'y' })
    await sendOk(alice, { recipient: bob.identityKey, messageBox: 'b', messageId: 'kept', body: 'z' })
    const body = await expectResponse(
      await bob.post('/acknowledgeMessage', {
        messageIds: ['in-a', 'in-b', 'in-a', 'unknown'],
        messageBox: 'ignored',
      }),
      200,
    )
    expect(body).toEqual({ status: 'success', acknowledged: 2 })
    expect((await listOk(bob, { messageBox: 'a' })).messages).toEqual([])
    expect((await listOk(bob, { messageBox: 'b' })).messages.map((m: any) => m.messageId)).toEqual(['kept'])
  })

  it('a second acknowledgement of the same id is 400 ERR_INVALID_ACKNOWLEDGMENT', async () => {
    const [alice, bob] = [newClient(), newClient()]
    await sendOk(alice, { recipient: bob.identityKey, messageBox: 'inbox', messageId: 'once', body: 'x' })
    await expectResponse(await bob.post('/acknowledgeMessage', { messageIds: ['once'] }), 200)
    await expectResponse(
      await bob.post('/acknowledgeMessage', { messageIds: ['once'] }),
      400,
      'ERR_INVALID_ACKNOWLEDGMENT',
    )
  })

  it('an expired message is not waiting: acknowledging only it is 400', async () => {
    const bob = newClient()
    await fillBox(bob.identityKey, 'inbox', 1, Date.now() - 1)
    await expectResponse(
      await bob.post('/acknowledgeMessage', { messageIds: ['fill-1'] }),
      400,
      'ERR_INVALID_ACKNOWLEDGMENT',
    )
  })

  it('two devices of one identity acknowledging the same id at once get one consistent answer', async () => {
    const [alice, phone] = [newClient(), newClient()]
    const laptop = newClient({ privateKey: phone.privateKey })
    await sendOk(alice, { recipient: phone.identityKey, messageBox: 'inbox', messageId: 'race', body: 'x' })
    await listOk(laptop, { messageBox: 'inbox' }) // opens the laptop's own session first
    const [a, b] = await Promise.all([
      phone.post('/acknowledgeMessage', { messageIds: ['race'] }),
      laptop.post('/acknowledgeMessage', { messageIds: ['race'] }),
    ])
    const statuses = [a.status, b.status].sort()
    expect(statuses, `${await a.clone().text()} / ${await b.clone().text()}`).toEqual([200, 400])
    expect((await listOk(laptop, { messageBox: 'inbox' })).messages).toEqual([])
  })

  describe('isolation', () => {
    it("no identity can acknowledge another's messages, in any box, even knowing the id", async () => {
      const [alice, bob, eve] = [newClient(), newClient(), newClient()]
      for (const messageBox of ['inbox', 'payment_inbox']) {
        await sendOk(alice, {
          recipient: bob.identityKey,
          messageBox,
          messageId: `${messageBox}-1`,
          body: 'x',
        })
      }
      for (const thief of [eve, alice]) {
        const res = await thief.post('/acknowledgeMessage', { messageIds: ['inbox-1', 'payment_inbox-1'] })
        await expectResponse(res, 400, 'ERR_INVALID_ACKNOWLEDGMENT')
      }
      expect(await storedFor(bob.identityKey)).toHaveLength(2)
    })

    it("acknowledging an id deletes only the caller's copy when another recipient has the same id", async () => {
      const alice = newClient()
      const [bob, dave] = [newClient(), randomKey()]
      await sendOk(alice, {
        recipients: [bob.identityKey, dave],
        messageBox: 'inbox',
        messageId: ['shared', 'shared'],
        body: 'x',
      })
      await expectResponse(await bob.post('/acknowledgeMessage', { messageIds: ['shared'] }), 200)
      expect(await storedFor(dave)).toHaveLength(1)
    })
  })
})
