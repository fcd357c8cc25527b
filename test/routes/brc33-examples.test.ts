import { describe, expect, it } from 'vitest'
import { newClient } from '../helpers/client'
import { expectResponse, listOk } from '../helpers/messages'

describe('BRC-33 examples, verbatim', () => {
  it('sends, lists and acknowledges with the id the listing returned', async () => {
    const [alice, bob] = [newClient(), newClient()]
    const sent = await alice.post('/sendMessage', {
      message: { recipient: bob.identityKey, messageBox: 'payment_inbox', body: 'hello' },
    })
    const sentBody = await expectResponse(sent, 200)
    expect(sentBody.status).toBe('success')

    const listed = await listOk(bob, { messageBox: 'payment_inbox' })
    expect(listed.messages).toHaveLength(1)
    expect(listed.messages[0]).toMatchObject({
      body: 'hello',
      sender: alice.identityKey,
      messageId: sentBody.messageId,
    })

    const acked = await expectResponse(
      await bob.post('/acknowledgeMessage', { messageIds: [listed.messages[0].messageId] }),
      200,
    )
    expect(acked).toEqual({ status: 'success', acknowledged: 1 })
    expect((await listOk(bob, { messageBox: 'payment_inbox' })).messages).toEqual([])
  })

  it('acknowledges a message sent with messageId "3301" by the integer form {"messageIds":[3301]}', async () => {
    const [alice, bob] = [newClient(), newClient()]
    await expectResponse(
      await alice.post('/sendMessage', {
        message: {
          recipient: bob.identityKey,
          messageBox: 'payment_inbox',
          messageId: '3301',
          body: 'hello',
        },
      }),
      200,
    )
    const acked = await expectResponse(await bob.post('/acknowledgeMessage', { messageIds: [3301] }), 200)
    expect(acked).toEqual({ status: 'success', acknowledged: 1 })
    expect((await listOk(bob, { messageBox: 'payment_inbox' })).messages).toEqual([])
  })
})
