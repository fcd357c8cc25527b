import { describe, expect, it } from 'vitest'
import { newClient } from '../helpers/client'
import { expectResponse, fillBox, insertDirect, listOk, sendOk } from '../helpers/messages'

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

describe('POST /listMessages', () => {
  describe('contract table', () => {
    const cases: [string, unknown, string][] = [
      ['messageBox missing', {}, 'ERR_MESSAGEBOX_REQUIRED'],
      ['messageBox ""', { messageBox: '' }, 'ERR_MESSAGEBOX_REQUIRED'],
      ['messageBox not a string', { messageBox: ['inbox'] }, 'ERR_INVALID_MESSAGEBOX'],
      ['messageBox blank after trimming', { messageBox: '   ' }, 'ERR_INVALID_MESSAGEBOX'],
      ['messageBox over 128 bytes', { messageBox: 'b'.repeat(129) }, 'ERR_INVALID_MESSAGEBOX'],
      ['limit 0', { messageBox: 'inbox', limit: 0 }, 'ERR_INVALID_LIMIT'],
      ['limit 1001', { messageBox: 'inbox', limit: 1001 }, 'ERR_INVALID_LIMIT'],
      ['limit 2.5', { messageBox: 'inbox', limit: 2.5 }, 'ERR_INVALID_LIMIT'],
      ['limit "10"', { messageBox: 'inbox', limit: '10' }, 'ERR_INVALID_LIMIT'],
      ['offset -1', { messageBox: 'inbox', offset: -1 }, 'ERR_INVALID_OFFSET'],
      ['offset "0"', { messageBox: 'inbox', offset: '0' }, 'ERR_INVALID_OFFSET'],
      ['skip 1.5', { messageBox: 'inbox', skip: 1.5 }, 'ERR_INVALID_OFFSET'],
      ['offset and skip differ', { messageBox: 'inbox', offset: 1, skip: 2 }, 'ERR_INVALID_OFFSET'],
    ]
    for (const [name, request, code] of cases) {
      it(`${name} → 400 ${code}`, async () => {
        await expectResponse(await newClient().post('/listMessages', request), 400, code)
      })
    }

    it('a box never used → 200 with messages: []', async () => {
      const body = await listOk(newClient(), { messageBox: 'never-used' })
      expect(body).toEqual({
        status: 'success',
        messages: [],
        limit: 1000,
        offset: 0,
        hasMore: false,
        nextOffset: null,
      })
    })

    it('offset and skip equal are accepted', async () => {
      expect((await listOk(newClient(), { messageBox: 'inbox', offset: 3, skip: 3 })).offset).toBe(3)
    })
  })

  it('lists sender, id, body and both timestamp spellings, oldest first', async () => {
    const [alice, carol, bob] = [newClient(), newClient(), newClient()]
    await sendOk(alice, { recipient: bob.identityKey, messageBox: 'inbox', messageId: 'first', body: 'one' })
    await sendOk(carol, { recipient: bob.identityKey, messageBox: 'inbox', messageId: 'second', body: 'two' })
    await sendOk(alice, {
      recipient: bob.identityKey,
      messageBox: 'inbox',
      messageId: 'third',
      body: 'three',
    })
    const { messages } = await listOk(bob, { messageBox: 'inbox' })
    expect(messages.map((m: any) => [m.messageId, m.sender, m.body])).toEqual([
      ['first', alice.identityKey, 'one'],
      ['second', carol.identityKey, 'two'],
      ['third', alice.identityKey, 'three'],
    ])
    for (const m of messages) {
      expect(m.createdAt).toMatch(ISO)
      expect([m.updatedAt, m.created_at, m.updated_at]).toEqual([m.createdAt, m.createdAt, m.createdAt])
    }
  })

  it('pages with limit/offset (and skip), hasMore and nextOffset', async () => {
    const bob = newClient()
    await fillBox(bob.identityKey, 'paged', 25)
    const first = await listOk(bob, { messageBox: 'paged', limit: 10 })
    expect(first).toMatchObject({ limit: 10, offset: 0, hasMore: true, nextOffset: 10 })
    expect(first.messages.map((m: any) => m.messageId)).toEqual(
      Array.from({ length: 10 }, (_, i) => `fill-${i + 1}`),
    )
    const second = await listOk(bob, { messageBox: 'paged', limit: 10, skip: first.nextOffset })
    expect(second).toMatchObject({ offset: 10, hasMore: true, nextOffset: 20 })
    expect(second.messages[0].messageId).toBe('fill-11')
    const last = await listOk(bob, { messageBox: 'paged', limit: 10, offset: second.nextOffset })
    expect(last).toMatchObject({ offset: 20, hasMore: false, nextOffset: null })
    expect(last.messages.map((m: any) => m.messageId)).toEqual([
      'fill-21',
      'fill-22',
      'fill-23',
      'fill-24',
      'fill-25',
    ])
    const exact = await listOk(bob, { messageBox: 'paged', limit: 25 })
    expect(exact).toMatchObject({ hasMore: false, nextOffset: null })
    expect(exact.messages).toHaveLength(25)
  })

  it('the default limit is 1000', async () => {
    const bob = newClient()
    await fillBox(bob.identityKey, 'many', 1001)
    const body = await listOk(bob, { messageBox: 'many' })
    expect(body.messages).toHaveLength(1000)
    expect(body).toMatchObject({ limit: 1000, hasMore: true, nextOffset: 1000 })
  })

  it('ends a page early, with hasMore and nextOffset, once its serialized JSON would pass MAX_LIST_BODY_BYTES (8 MiB)', async () => {
    const bob = newClient()
    // Nine bodies of exactly 1 MiB, written directly: the limit under test is the listing's, not the send's.
    await insertDirect({
      recipient: bob.identityKey,
      messageBox: 'large',
      count: 9,
      idPrefix: 'big-',
      bodySql: "replace(hex(zeroblob(524288)), '0', 'x')",
    })
    // Eight bodies are exactly 8 MiB; with their ids, senders and dates as JSON they pass it: seven fit.
    const first = await listOk(bob, { messageBox: 'large' })
    expect(first.messages.map((m: any) => m.messageId)).toEqual(
      Array.from({ length: 7 }, (_, i) => `big-${i + 1}`),
    )
    expect(first.messages.every((m: any) => m.body.length === 1024 * 1024)).toBe(true)
    expect(first).toMatchObject({ limit: 1000, hasMore: true, nextOffset: 7 })
    const rest = await listOk(bob, { messageBox: 'large', offset: first.nextOffset })
    expect(rest.messages.map((m: any) => m.messageId)).toEqual(['big-8', 'big-9'])
    expect(rest).toMatchObject({ hasMore: false, nextOffset: null })
  })

  it('counts escapes: bodies of control characters (6 bytes each as JSON) end the page at the serialized budget', async () => {
    const bob = newClient()
    // 25 bodies of 100 000 U+0001 characters: 100 kB stored, 600 kB as JSON; 15 MB in all, unbounded.
    await insertDirect({
      recipient: bob.identityKey,
      messageBox: 'escapes',
      count: 25,
      idPrefix: 'esc-',
      bodySql: "replace(hex(zeroblob(50000)), '0', char(1))",
    })
    const res = await bob.post('/listMessages', { messageBox: 'escapes' })
    const text = await res.clone().text()
    const page = await expectResponse(res, 200)
    expect(page.messages[0].body).toBe('\u0001'.repeat(100_000))
    // 13 × ~600 kB ≤ 8 MiB < 14 × ~600 kB; the whole response stays within the budget plus its envelope.
    expect(page).toMatchObject({ hasMore: true, nextOffset: 13 })
    expect(new TextEncoder().encode(text).length).toBeLessThanOrEqual(8 * 1024 * 1024 + 200)
  })

  it('never lists an expired message', async () => {
    const bob = newClient()
    await fillBox(bob.identityKey, 'aging', 3, Date.now() - 1)
    await sendOk(newClient(), {
      recipient: bob.identityKey,
      messageBox: 'aging',
      messageId: 'fresh',
      body: 'x',
    })
    expect((await listOk(bob, { messageBox: 'aging' })).messages.map((m: any) => m.messageId)).toEqual([
      'fresh',
    ])
  })

  it('trims the box name as /sendMessage does', async () => {
    const bob = newClient()
    await sendOk(newClient(), { recipient: bob.identityKey, messageBox: 'inbox', body: 'x' })
    expect((await listOk(bob, { messageBox: ' inbox\t' })).messages).toHaveLength(1)
  })

  describe('isolation', () => {
    it("lists only the caller's own messages in that box, never another identity's or another box's", async () => {
      const [alice, bob, eve] = [newClient(), newClient(), newClient()]
      await sendOk(alice, { recipient: bob.identityKey, messageBox: 'inbox', body: 'for bob' })
      await sendOk(alice, { recipient: bob.identityKey, messageBox: 'secret', body: 'for bob, other box' })
      expect((await listOk(bob, { messageBox: 'inbox' })).messages.map((m: any) => m.body)).toEqual([
        'for bob',
      ])
      for (const box of ['inbox', 'secret']) {
        expect((await listOk(eve, { messageBox: box })).messages, `eve lists ${box}`).toEqual([])
        expect((await listOk(alice, { messageBox: box })).messages, `the sender lists ${box}`).toEqual([])
      }
    })
  })
})
