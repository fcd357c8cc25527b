import { describe, expect, it } from 'vitest'
import { newClient } from '../helpers/client'
import type { LiveEvent } from '../helpers/live-client'
import { joinOwn, roomOf, sendLive, uniqueBox, useLiveClients } from '../helpers/live'
import { listOk, sendOk } from '../helpers/messages'

const { authed, connect } = useLiveClients()

describe('live: joinRoom and leaveRoom', () => {
  it('leaveRoom answers leftRoom; later messages are not pushed but are still listed', async () => {
    const [a, b] = [await authed('polling'), await authed('websocket')]
    const box = uniqueBox()
    await joinOwn(b, box)
    const roomId = roomOf(b.identityKey, box)
    await b.emit('leaveRoom', roomId)
    expect(await b.nextEvent('leftRoom')).toEqual({ roomId })

    const { ack, sent } = await sendLive(a, b.identityKey, box)
    expect(ack.status).toBe('success')
    await b.noEvent(`sendMessage-${roomId}`, 1_500)
    const listed = await listOk(newClient({ privateKey: b.privateKey }), { messageBox: box })
    expect(listed.messages.map((m: { messageId: string }) => m.messageId)).toEqual([sent.messageId])
  })

  it("joinRoom of another identity's room fails; that room's messages go to its owner only", async () => {
    const [owner, intruder, sender] = [
      await authed('websocket'),
      await authed('polling'),
      await authed('polling'),
    ]
    const box = uniqueBox()
    const roomId = roomOf(owner.identityKey, box)
    await joinOwn(owner, box)
    await intruder.emit('joinRoom', roomId)
    expect(await intruder.nextEvent('joinFailed')).toEqual({ reason: expect.any(String) })

    const { ack, sent } = await sendLive(sender, owner.identityKey, box)
    expect(ack.status).toBe('success')
    expect((await owner.nextEvent(`sendMessage-${roomId}`)).messageId).toBe(sent.messageId)
    await intruder.noEvent(`sendMessage-${roomId}`)
  })

  it('an HTTP send to a room an intruder tried to join is not pushed to the intruder', async () => {
    const intruder = await authed('websocket')
    const victim = newClient()
    const box = uniqueBox()
    const roomId = roomOf(victim.identityKey, box)
    await intruder.emit('joinRoom', roomId)
    await intruder.nextEvent('joinFailed')
    await sendOk(newClient(), { recipient: victim.identityKey, messageBox: box, body: 'secret' })
    await intruder.noEvent(`sendMessage-${roomId}`)
  })

  it('joinRoom before authenticated fails and brings no pushes', async () => {
    const b = await connect('websocket')
    const box = uniqueBox()
    const roomId = roomOf(b.identityKey, box)
    await b.emit('joinRoom', roomId)
    expect(await b.nextEvent('joinFailed')).toEqual({ reason: expect.any(String) })
    await sendOk(newClient(), { recipient: b.identityKey, messageBox: box, body: 'x' })
    await b.noEvent(`sendMessage-${roomId}`)
  })

  it('a box of exactly 128 UTF-8 bytes can be joined (multi-byte characters count as bytes)', async () => {
    const b = await authed('websocket')
    await joinOwn(b, 'é'.repeat(64))
    await joinOwn(b, 'b'.repeat(128))
  })

  describe('invalid rooms answer joinFailed', () => {
    const cases: [string, (key: string) => unknown][] = [
      ['an empty box', (key) => `${key}-`],
      ['no box at all', (key) => key],
      ['a box of 129 bytes', (key) => `${key}-${'b'.repeat(129)}`],
      ['a box of 130 bytes in 65 characters', (key) => `${key}-${'é'.repeat(65)}`],
      ['a control character in the box', (key) => `${key}-in\nbox`],
      ['a DEL in the box', (key) => `${key}-in\u007fbox`],
      ['the key without its separator', (key) => `${key}inbox`],
      ['a non-string room', (key) => ({ roomId: `${key}-inbox` })],
      ['a number', () => 42],
    ]
    it.each(cases)('%s', async (_, room) => {
      const b = await authed('websocket')
      await b.emit('joinRoom', room(b.identityKey))
      expect(await b.nextEvent('joinFailed')).toEqual({ reason: expect.any(String) })
      expect(b.events.map((e) => e.eventName)).not.toContain('joinedRoom')
    })
  })

  it('a connection may join 32 rooms; the 33rd is refused', async () => {
    const b = await authed('websocket')
    for (let i = 0; i < 32; i++) await b.emit('joinRoom', roomOf(b.identityKey, `box-${i}`))
    const answers = []
    for (let i = 0; i < 32; i++) answers.push(await b.nextEventOf(['joinedRoom', 'joinFailed']))
    // In any order: under vitest-pool-workers, frames sent back to back over a WebSocket can reach the
    // object out of order (see live-client.ts, UPGRADE_SETTLE_MS).
    const byRoom = (a: LiveEvent, b: LiveEvent) => JSON.stringify(a).localeCompare(JSON.stringify(b))
    expect(answers.sort(byRoom)).toEqual(
      Array.from({ length: 32 }, (_, i) => ({
        eventName: 'joinedRoom',
        data: { roomId: roomOf(b.identityKey, `box-${i}`) },
      })).sort(byRoom),
    )
    await b.emit('joinRoom', roomOf(b.identityKey, 'box-32'))
    expect(await b.nextEvent('joinFailed')).toEqual({ reason: expect.any(String) })
    // Joining a room again is not a new room.
    await b.emit('joinRoom', roomOf(b.identityKey, 'box-0'))
    expect(await b.nextEventOf(['joinedRoom', 'joinFailed'])).toEqual({
      eventName: 'joinedRoom',
      data: { roomId: roomOf(b.identityKey, 'box-0') },
    })
  })
})
