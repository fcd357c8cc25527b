import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { newClient, type TestClient } from '../helpers/client'
import { roomOf, useLiveClients } from '../helpers/live'
import { expectResponse, insertDirect, listOk, randomKey, sendOk, storedFor } from '../helpers/messages'

// Box names that cannot impersonate (docs/contract.md limits table): a name must be Unicode NFC and hold no
// character of general category Cc, Cf, Zl, Zp, Co or Cn, and `*` is reserved for recipient-wide rules.
// Each case below is written out by its code points, independently of the relay's own check.

const REFUSED: [string, string][] = [
  ['Cc: a control character (BEL)', 'pay\u0007ment'],
  ['Cf: a zero-width space', 'payment\u200binbox'],
  ['Cf: a zero-width joiner', 'pay\u200dment_inbox'],
  ['Cf: a right-to-left override', 'payment_\u202exobni'],
  ['Cf: a byte-order mark inside the name', 'pay\ufeffment'],
  ['Zl: a line separator inside the name', 'payment\u2028inbox'],
  ['Zp: a paragraph separator inside the name', 'payment\u2029inbox'],
  ['Co: a private-use character', 'payment\ue000'],
  ['Cn: an unassigned code point (U+0378)', 'payment\u0378'],
  ['Cn: a noncharacter (U+FFFF)', 'payment\uffff'],
  ['Cn: a noncharacter (U+FDD0)', '\ufdd0payment'],
  ['not NFC: e + combining acute accent', 'caf\u0065\u0301'],
  ['not NFC: the angstrom sign (U+212B)', '\u212bngstrom'],
  ['the reserved *', '*'],
  ['the reserved * with surrounding spaces', '  *  '],
]

/** Names that look unusual but are what they look like: accepted everywhere. */
const ACCEPTED = ['café', 'payment_inbox', 'box 📬', '受信箱', '**', 'a*b']

const query = (fields: Record<string, string>) => new URLSearchParams(fields).toString()

/** Each place a box name enters over HTTP, with the code the contract gives that place. */
const HTTP_PLACES: [string, string, (client: TestClient, box: string) => Promise<Response>][] = [
  [
    'POST /sendMessage',
    'ERR_INVALID_MESSAGEBOX',
    (c, box) => c.post('/sendMessage', { message: { recipient: randomKey(), messageBox: box, body: 'x' } }),
  ],
  ['POST /listMessages', 'ERR_INVALID_MESSAGEBOX', (c, box) => c.post('/listMessages', { messageBox: box })],
  [
    'POST /permissions/set',
    'ERR_INVALID_MESSAGE_BOX',
    (c, box) => c.post('/permissions/set', { messageBox: box, recipientFee: 0 }),
  ],
  [
    'GET /permissions/get',
    'ERR_INVALID_MESSAGE_BOX',
    (c, box) => c.fetch(`/permissions/get?${query({ messageBox: box })}`, { method: 'GET' }),
  ],
  [
    'GET /permissions/list',
    'ERR_INVALID_MESSAGE_BOX',
    (c, box) => c.fetch(`/permissions/list?${query({ messageBox: box })}`, { method: 'GET' }),
  ],
  [
    'GET /permissions/quote',
    'ERR_INVALID_MESSAGE_BOX',
    (c, box) =>
      c.fetch(`/permissions/quote?${query({ recipient: randomKey(), messageBox: box })}`, { method: 'GET' }),
  ],
]

const REFUSED_IN_PERMISSIONS = REFUSED.filter(([what]) => !what.includes('*'))

describe('box names that cannot impersonate, over HTTP', () => {
  it.each(HTTP_PLACES)('%s refuses every class with %s, and changes nothing', async (place, code, call) => {
    const client = newClient()
    // `*` names every box in a permission rule or a quote (tested in sybil.test.ts), and nowhere else.
    const cases = place.includes('permissions') ? REFUSED_IN_PERMISSIONS : REFUSED
    for (const [what, box] of cases) {
      const res = await call(client, box)
      const body = await expectResponse(res, 400, code).catch((error: Error) => {
        throw new Error(`${what}: ${error.message}`)
      })
      expect(body.description, what).toMatch(/NFC/)
    }
    const rules = await env.DB.prepare('SELECT count(*) AS n FROM permissions WHERE owner = ?')
      .bind(client.identityKey)
      .first<number>('n')
    expect(rules).toBe(0)
  })

  it('"*" is taken by every permission route and by quotes (all of the owner\'s boxes), with surrounding spaces trimmed', async () => {
    const client = newClient()
    for (const [place, , call] of HTTP_PLACES.filter(([place]) => place.includes('permissions'))) {
      const res = await call(client, ' * ')
      expect(res.status, `${place}: ${await res.clone().text()}`).toBe(200)
    }
    const rules = await env.DB.prepare('SELECT message_box FROM permissions WHERE owner = ?')
      .bind(client.identityKey)
      .all<{ message_box: string }>()
    expect(rules.results).toEqual([{ message_box: '*' }])
  })

  it('sendMessage stores nothing for a refused name, and names that only look unusual still work end to end', async () => {
    const [alice, bob] = [newClient(), newClient()]
    for (const [, box] of REFUSED) {
      await alice.post('/sendMessage', {
        message: { recipient: bob.identityKey, messageBox: box, body: 'x' },
      })
    }
    expect(await storedFor(bob.identityKey)).toEqual([])
    for (const box of ACCEPTED) {
      await sendOk(alice, { recipient: bob.identityKey, messageBox: box, body: `in ${box}` })
      const listed = await listOk(bob, { messageBox: box })
      expect(listed.messages.map((m: { body: string }) => m.body)).toEqual([`in ${box}`])
    }
  })

  it('messages stored under a name refused today are still listed among the boxes and can be acknowledged', async () => {
    const bob = newClient()
    const legacy = 'payment\u200binbox'
    await insertDirect({ recipient: bob.identityKey, messageBox: legacy, count: 2, idPrefix: 'old-' })
    const boxes = await expectResponse(await bob.post('/listMessageBoxes', {}), 200)
    expect(boxes.messageBoxes).toEqual([{ messageBox: legacy, count: 2, bytes: expect.any(Number) }])
    const acked = await expectResponse(
      await bob.post('/acknowledgeMessage', { messageIds: ['old-1', 'old-2'] }),
      200,
    )
    expect(acked.acknowledged).toBe(2)
    expect(await storedFor(bob.identityKey)).toEqual([])
  })
})

describe('box names that cannot impersonate, in socket rooms', () => {
  const { authed } = useLiveClients()

  it('joinRoom fails for every refused class; the room of a name that only looks unusual is joined', async () => {
    const b = await authed('websocket')
    for (const [what, box] of REFUSED) {
      await b.emit('joinRoom', roomOf(b.identityKey, box))
      expect(await b.nextEventOf(['joinedRoom', 'joinFailed']), what).toMatchObject({
        eventName: 'joinFailed',
      })
    }
    await b.emit('joinRoom', roomOf(b.identityKey, 'café'))
    expect(await b.nextEvent('joinedRoom')).toEqual({ roomId: roomOf(b.identityKey, 'café') })
  })

  it('a socket sendMessage into a refused name is ERR_INVALID_ROOM and stores nothing', async () => {
    const a = await authed('polling')
    const recipient = randomKey()
    for (const [what, box] of REFUSED) {
      const roomId = roomOf(recipient, box)
      await a.emit('sendMessage', {
        roomId,
        message: { messageId: crypto.randomUUID(), recipient, body: 'x' },
      })
      expect(await a.nextEvent(`sendMessageAck-${roomId}`), what).toMatchObject({
        status: 'error',
        code: 'ERR_INVALID_ROOM',
      })
    }
    expect(await storedFor(recipient)).toEqual([])
  })
})
