import { describe, expect, it } from 'vitest'
import { newClient, type TestClient } from '../helpers/client'
import { expectResponse, listOk, sendOk } from '../helpers/messages'

const SENDERS = 4
const PER_SENDER = 8

describe('concurrent sends and acknowledgements', () => {
  it('delivers every message exactly once to two devices acknowledging at once, never listing one after its acknowledgement', async () => {
    const senders = Array.from({ length: SENDERS }, () => newClient())
    const phone = newClient()
    const laptop = newClient({ privateKey: phone.privateKey })
    // Open every session first, so the race below is between messages, not handshakes.
    await Promise.all([...senders, phone, laptop].map((c) => listOk(c, { messageBox: 'warm-up' })))

    const expected = senders.flatMap((_, s) => Array.from({ length: PER_SENDER }, (_, i) => `s${s}-m${i}`))
    const ackedBy = new Map<string, string>() // id → device whose acknowledgement answered 1
    const ackedAt = new Map<string, number>() // id → when that answer arrived
    const violations: string[] = []
    let sendsDone = false

    const sending = Promise.all(
      senders.flatMap((sender, s) =>
        Array.from({ length: PER_SENDER }, (_, i) =>
          sendOk(sender, {
            recipient: phone.identityKey,
            messageBox: 'inbox',
            messageId: `s${s}-m${i}`,
            body: `${s}/${i}`,
          }),
        ),
      ),
    ).then(() => {
      sendsDone = true
    })

    async function drain(device: TestClient, name: string) {
      for (let round = 0; round < 200; round++) {
        const finished = sendsDone
        const listedFrom = Date.now()
        const { messages } = await listOk(device, { messageBox: 'inbox' })
        for (const m of messages) {
          const at = ackedAt.get(m.messageId)
          if (at !== undefined && at < listedFrom)
            violations.push(`${name} listed ${m.messageId} after its acknowledgement`)
        }
        if (messages.length === 0 && finished) return
        // One id per request, so each 200 names exactly the message it deleted.
        await Promise.all(
          messages.map(async (m: { messageId: string }) => {
            const res = await device.post('/acknowledgeMessage', { messageIds: [m.messageId] })
            if (res.status === 200) {
              expect(await res.json()).toEqual({ status: 'success', acknowledged: 1 })
              if (ackedBy.has(m.messageId)) violations.push(`${m.messageId} acknowledged twice`)
              ackedBy.set(m.messageId, name)
              ackedAt.set(m.messageId, Date.now())
            } else {
              // The other device got there first: one consistent answer, not a second deletion.
              await expectResponse(res, 400, 'ERR_INVALID_ACKNOWLEDGMENT')
            }
          }),
        )
      }
      violations.push(`${name} did not drain the inbox`)
    }

    await Promise.all([sending, drain(phone, 'phone'), drain(laptop, 'laptop')])
    expect(violations).toEqual([])
    expect([...ackedBy.keys()].sort()).toEqual([...expected].sort())
    expect((await listOk(laptop, { messageBox: 'inbox' })).messages).toEqual([])
  })
})
