import { PrivateKey } from '@bsv/sdk'
import { SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { newClient } from '../helpers/client'
import { expectResponse, fillBox, listOk, randomKey, sendOk, storedFor } from '../helpers/messages'
import { RELAY_ORIGIN } from '../helpers/relay'

const MiB = 1024 * 1024
// x = 2^256 - 1 is not a field element, so no point has it.
const OFF_CURVE_KEY = '02' + 'f'.repeat(64)

describe('POST /sendMessage', () => {
  describe('checks, in the contract order', () => {
    const cases: [string, unknown, number, string][] = [
      ['1: message missing', {}, 400, 'ERR_MESSAGE_REQUIRED'],
      ['1: message null', { message: null }, 400, 'ERR_MESSAGE_REQUIRED'],
      [
        '2: messageBox missing',
        { message: { recipient: randomKey(), body: 'x' } },
        400,
        'ERR_INVALID_MESSAGEBOX',
      ],
      [
        '2: messageBox blank',
        { message: { recipient: randomKey(), messageBox: '  ', body: 'x' } },
        400,
        'ERR_INVALID_MESSAGEBOX',
      ],
      [
        '2: messageBox not a string',
        { message: { recipient: randomKey(), messageBox: 7, body: 'x' } },
        400,
        'ERR_INVALID_MESSAGEBOX',
      ],
      ['2: message not an object', { message: 'hello' }, 400, 'ERR_INVALID_MESSAGEBOX'],
      [
        '3: body missing',
        { message: { recipient: randomKey(), messageBox: 'inbox' } },
        400,
        'ERR_INVALID_MESSAGE_BODY',
      ],
      [
        '3: body blank',
        { message: { recipient: randomKey(), messageBox: 'inbox', body: ' \n' } },
        400,
        'ERR_INVALID_MESSAGE_BODY',
      ],
      [
        '3: body null',
        { message: { recipient: randomKey(), messageBox: 'inbox', body: null } },
        400,
        'ERR_INVALID_MESSAGE_BODY',
      ],
      [
        '3: body a number',
        { message: { recipient: randomKey(), messageBox: 'inbox', body: 42 } },
        400,
        'ERR_INVALID_MESSAGE_BODY',
      ],
      ['4: no recipient', { message: { messageBox: 'inbox', body: 'x' } }, 400, 'ERR_RECIPIENT_REQUIRED'],
      [
        '4: empty recipients',
        { message: { recipients: [], messageBox: 'inbox', body: 'x' } },
        400,
        'ERR_RECIPIENT_REQUIRED',
      ],
      [
        '5: more recipients than the limit (101)',
        { message: { recipients: Array.from({ length: 101 }, () => 'k'), messageBox: 'inbox', body: 'x' } },
        400,
        'ERR_TOO_MANY_RECIPIENTS',
      ],
      [
        '6: one id for two recipients',
        {
          message: { recipients: [randomKey(), randomKey()], messageId: 'm', messageBox: 'inbox', body: 'x' },
        },
        400,
        'ERR_MESSAGEID_COUNT_MISMATCH',
      ],
      [
        '6: three ids for two recipients',
        {
          message: {
            recipients: [randomKey(), randomKey()],
            messageId: ['a', 'b', 'c'],
            messageBox: 'inbox',
            body: 'x',
          },
        },
        400,
        'ERR_MESSAGEID_COUNT_MISMATCH',
      ],
      [
        '7: blank id',
        { message: { recipient: randomKey(), messageId: ' ', messageBox: 'inbox', body: 'x' } },
        400,
        'ERR_INVALID_MESSAGEID',
      ],
      [
        '7: numeric id',
        { message: { recipient: randomKey(), messageId: 3301, messageBox: 'inbox', body: 'x' } },
        400,
        'ERR_INVALID_MESSAGEID',
      ],
      [
        '8: invalid recipient key (before the duplicate check)',
        { message: { recipients: ['nope', 'nope'], messageBox: 'inbox', body: 'x' } },
        400,
        'ERR_INVALID_RECIPIENT_KEY',
      ],
      [
        '8: recipient not a string',
        { message: { recipient: 12, messageBox: 'inbox', body: 'x' } },
        400,
        'ERR_INVALID_RECIPIENT_KEY',
      ],
      [
        '8: point not on the curve',
        { message: { recipient: OFF_CURVE_KEY, messageBox: 'inbox', body: 'x' } },
        400,
        'ERR_INVALID_RECIPIENT_KEY',
      ],
      [
        '10: body over 1 MiB (UTF-8 bytes)',
        { message: { recipient: randomKey(), messageBox: 'inbox', body: 'é'.repeat(MiB / 2) + 'x' } },
        413,
        'ERR_MESSAGE_BODY_TOO_LARGE',
      ],
    ]
    for (const [name, request, status, code] of cases) {
      it(`${name} → ${status} ${code}`, async () => {
        await expectResponse(await newClient().post('/sendMessage', request), status, code)
      })
    }

    it('2 before 3 before 4: an empty message object is an invalid messageBox', async () => {
      await expectResponse(
        await newClient().post('/sendMessage', { message: {} }),
        400,
        'ERR_INVALID_MESSAGEBOX',
      )
    })

    it('9: the same recipient twice after canonicalisation (compressed and uncompressed) → 400 ERR_DUPLICATE_RECIPIENT', async () => {
      const key = PrivateKey.fromRandom().toPublicKey()
      const res = await newClient().post('/sendMessage', {
        message: {
          recipients: [key.toString(), key.encode(false, 'hex') as string],
          messageBox: 'inbox',
          body: 'x',
        },
      })
      await expectResponse(res, 400, 'ERR_DUPLICATE_RECIPIENT')
    })

    it('8: the invalid key is named in the description', async () => {
      const body = await expectResponse(
        await newClient().post('/sendMessage', {
          message: { recipient: 'abc123', messageBox: 'inbox', body: 'x' },
        }),
        400,
        'ERR_INVALID_RECIPIENT_KEY',
      )
      expect(body.description).toContain('abc123')
    })

    it('11: an id waiting from another sender → 400 ERR_DUPLICATE_MESSAGE, original untouched', async () => {
      const [alice, carol, bob] = [newClient(), newClient(), newClient()]
      await sendOk(alice, {
        recipient: bob.identityKey,
        messageBox: 'inbox',
        messageId: 'taken',
        body: 'from alice',
      })
      const res = await carol.post('/sendMessage', {
        message: { recipient: bob.identityKey, messageBox: 'inbox', messageId: 'taken', body: 'from carol' },
      })
      await expectResponse(res, 400, 'ERR_DUPLICATE_MESSAGE')
      const stored = await storedFor(bob.identityKey)
      expect(stored).toHaveLength(1)
      expect(stored[0]).toMatchObject({ sender: alice.identityKey, body: 'from alice', message_id: 'taken' })
    })

    it('11: the same id from the same sender into another box → 400 ERR_DUPLICATE_MESSAGE', async () => {
      const [alice, bob] = [newClient(), newClient()]
      await sendOk(alice, {
        recipient: bob.identityKey,
        messageBox: 'inbox',
        messageId: 'boxed',
        body: 'first',
      })
      const res = await alice.post('/sendMessage', {
        message: { recipient: bob.identityKey, messageBox: 'other', messageId: 'boxed', body: 'second' },
      })
      await expectResponse(res, 400, 'ERR_DUPLICATE_MESSAGE')
      expect(await storedFor(bob.identityKey)).toMatchObject([{ message_box: 'inbox', body: 'first' }])
    })

    it('12: recipient at the quota (10 000 waiting) → 429 ERR_INBOX_QUOTA_EXCEEDED with resource and limit', async () => {
      const recipient = randomKey()
      await fillBox(recipient, 'elsewhere', 10_000)
      const res = await newClient().post('/sendMessage', {
        message: { recipient, messageBox: 'inbox', body: 'one more' },
      })
      const body = await expectResponse(res, 429, 'ERR_INBOX_QUOTA_EXCEEDED')
      expect(body).toMatchObject({ resource: 'messages', limit: 10_000 })
      expect(await storedFor(recipient)).toHaveLength(10_000)
    })

    it('12: expired messages do not count towards the quota', async () => {
      const recipient = randomKey()
      await fillBox(recipient, 'old', 10_000, Date.now() - 1000)
      await sendOk(newClient(), { recipient, messageBox: 'inbox', body: 'fits' })
    })

    it('11 before 12: a repeat to a full inbox is still an idempotent 200, a foreign id still a 400', async () => {
      const [alice, carol] = [newClient(), newClient()]
      const recipient = randomKey()
      await sendOk(alice, { recipient, messageBox: 'inbox', messageId: 'r1', body: 'x' })
      await fillBox(recipient, 'elsewhere', 9_999)
      const repeat = await sendOk(alice, { recipient, messageBox: 'inbox', messageId: 'r1', body: 'x again' })
      expect(repeat.results).toEqual([{ recipient, messageId: 'r1', duplicate: true }])
      const foreign = await carol.post('/sendMessage', {
        message: { recipient, messageBox: 'inbox', messageId: 'r1', body: 'y' },
      })
      await expectResponse(foreign, 400, 'ERR_DUPLICATE_MESSAGE')
    })
  })

  describe('limits table', () => {
    it('request body over 2 MiB → 413 ERR_REQUEST_TOO_LARGE before anything else runs', async () => {
      const res = await SELF.fetch(`${RELAY_ORIGIN}/sendMessage`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          message: { recipient: randomKey(), messageBox: 'inbox', body: 'x'.repeat(2 * MiB) },
        }),
      })
      expect(res.status, await res.clone().text()).toBe(413)
      expect(await res.json()).toMatchObject({ status: 'error', code: 'ERR_REQUEST_TOO_LARGE' })
    })

    it('a body of exactly 1 MiB is accepted and listed back byte-identical', async () => {
      const [alice, bob] = [newClient(), newClient()]
      const body = 'ü'.repeat(MiB / 2)
      await sendOk(alice, { recipient: bob.identityKey, messageBox: 'big', body })
      const listed = await listOk(bob, { messageBox: 'big' })
      expect(listed.messages[0].body === body, 'body listed byte-identical').toBe(true)
    })

    it('100 recipients are accepted in one send, all stored', async () => {
      const recipients = Array.from({ length: 100 }, randomKey)
      const sent = await sendOk(newClient(), { recipients, messageBox: 'inbox', body: 'to many' })
      expect(sent.results).toHaveLength(100)
      expect(sent.message).toBe('Your message has been sent to 100 recipient(s).')
      for (const recipient of [recipients[0]!, recipients[99]!])
        expect(await storedFor(recipient)).toHaveLength(1)
    })

    it('messageBox of 128 UTF-8 bytes after trimming is accepted; 129 is 400 ERR_INVALID_MESSAGEBOX', async () => {
      const [alice, bob] = [newClient(), newClient()]
      await sendOk(alice, { recipient: bob.identityKey, messageBox: `  ${'b'.repeat(128)}  `, body: 'x' })
      expect((await listOk(bob, { messageBox: 'b'.repeat(128) })).messages).toHaveLength(1)
      const res = await alice.post('/sendMessage', {
        message: { recipient: bob.identityKey, messageBox: 'é'.repeat(64) + 'b', body: 'x' },
      })
      await expectResponse(res, 400, 'ERR_INVALID_MESSAGEBOX')
    })

    it('messageBox with a control character → 400 ERR_INVALID_MESSAGEBOX', async () => {
      const res = await newClient().post('/sendMessage', {
        message: { recipient: randomKey(), messageBox: 'in\u0000box', body: 'x' },
      })
      await expectResponse(res, 400, 'ERR_INVALID_MESSAGEBOX')
    })

    it('messageId of 256 UTF-8 bytes is accepted; 257 bytes or a control character is 400 ERR_INVALID_MESSAGEID', async () => {
      const alice = newClient()
      const recipient = randomKey()
      await sendOk(alice, { recipient, messageBox: 'inbox', messageId: 'i'.repeat(256), body: 'x' })
      for (const messageId of ['i'.repeat(257), 'line\nbreak']) {
        const res = await alice.post('/sendMessage', {
          message: { recipient, messageBox: 'inbox', messageId, body: 'x' },
        })
        await expectResponse(res, 400, 'ERR_INVALID_MESSAGEID')
      }
    })
  })

  describe('decisions', () => {
    it('messageId is optional: a string id is generated per recipient and returned', async () => {
      const [alice, bob, carol] = [newClient(), newClient(), newClient()]
      const sent = await sendOk(alice, {
        recipients: [bob.identityKey, carol.identityKey],
        messageBox: 'inbox',
        body: 'hi',
      })
      expect(sent.results.map((r: any) => r.recipient)).toEqual([bob.identityKey, carol.identityKey])
      for (const r of sent.results) expect(typeof r.messageId).toBe('string')
      expect(sent.messageId, 'top-level messageId only for a single recipient').toBeUndefined()
      expect((await listOk(bob, { messageBox: 'inbox' })).messages[0].messageId).toBe(
        sent.results[0].messageId,
      )
    })

    it('a single-recipient send answers the contract shape with its given id', async () => {
      const [alice, bob] = [newClient(), newClient()]
      const sent = await sendOk(alice, {
        recipient: bob.identityKey,
        messageBox: 'inbox',
        messageId: ['only'],
        body: 'hi',
      })
      expect(sent).toEqual({
        status: 'success',
        message: 'Your message has been sent to 1 recipient(s).',
        results: [{ recipient: bob.identityKey, messageId: 'only' }],
        messageId: 'only',
      })
    })

    it('a repeat with re-encrypted bytes is stored once, the first copy kept, flagged duplicate', async () => {
      const [alice, bob] = [newClient(), newClient()]
      const message = { recipient: bob.identityKey, messageBox: 'inbox', messageId: 'hmac-of-plaintext' }
      const first = await sendOk(alice, { ...message, body: 'ciphertext A' })
      expect(first.results[0].duplicate).toBeUndefined()
      const again = await sendOk(alice, { ...message, body: 'ciphertext B' })
      expect(again.results).toEqual([
        { recipient: bob.identityKey, messageId: 'hmac-of-plaintext', duplicate: true },
      ])
      const listed = await listOk(bob, { messageBox: 'inbox' })
      expect(listed.messages.map((m: any) => m.body)).toEqual(['ciphertext A'])
    })

    it('the same id to two different recipients is delivered to both (one send, and two senders)', async () => {
      const [alice, carol, bob, dave] = [newClient(), newClient(), newClient(), newClient()]
      await sendOk(alice, {
        recipients: [bob.identityKey, dave.identityKey],
        messageBox: 'inbox',
        messageId: ['same', 'same'],
        body: 'a',
      })
      await sendOk(carol, {
        recipient: newClient().identityKey,
        messageBox: 'inbox',
        messageId: 'same',
        body: 'c',
      })
      expect((await listOk(bob, { messageBox: 'inbox' })).messages.map((m: any) => m.messageId)).toEqual([
        'same',
      ])
      expect((await listOk(dave, { messageBox: 'inbox' })).messages.map((m: any) => m.messageId)).toEqual([
        'same',
      ])
    })

    it('all-or-nothing: one bad key among recipients stores nothing for the others', async () => {
      const [good1, good2] = [randomKey(), randomKey()]
      const res = await newClient().post('/sendMessage', {
        message: { recipients: [good1, OFF_CURVE_KEY, good2], messageBox: 'inbox', body: 'x' },
      })
      await expectResponse(res, 400, 'ERR_INVALID_RECIPIENT_KEY')
      expect(await storedFor(good1)).toEqual([])
      expect(await storedFor(good2)).toEqual([])
    })

    it('all-or-nothing: a taken id for the last recipient stores nothing for the first', async () => {
      const [alice, carol] = [newClient(), newClient()]
      const [first, last] = [randomKey(), randomKey()]
      await sendOk(carol, { recipient: last, messageBox: 'inbox', messageId: 'x1', body: 'carol' })
      const res = await alice.post('/sendMessage', {
        message: { recipients: [first, last], messageBox: 'inbox', messageId: ['x1', 'x1'], body: 'alice' },
      })
      await expectResponse(res, 400, 'ERR_DUPLICATE_MESSAGE')
      expect(await storedFor(first)).toEqual([])
    })

    it('all-or-nothing: a full inbox for one recipient stores nothing for the others', async () => {
      const [free, full] = [randomKey(), randomKey()]
      await fillBox(full, 'inbox', 10_000)
      const res = await newClient().post('/sendMessage', {
        message: { recipients: [free, full], messageBox: 'inbox', body: 'x' },
      })
      const body = await expectResponse(res, 429, 'ERR_INBOX_QUOTA_EXCEEDED')
      expect(body.recipient).toBe(full)
      expect(await storedFor(free)).toEqual([])
    })

    it('bodies are stored as sent: a string byte-identical, an object as its JSON.stringify', async () => {
      const [alice, bob] = [newClient(), newClient()]
      const text = '  {"not": "parsed"}  \u2028 🙂 '
      const object = { z: 1, a: [true, null, 'é'], nested: { k: 'v' } }
      await sendOk(alice, { recipient: bob.identityKey, messageBox: 'inbox', body: text })
      await sendOk(alice, { recipient: bob.identityKey, messageBox: 'inbox', body: object })
      const listed = await listOk(bob, { messageBox: 'inbox' })
      expect(listed.messages.map((m: any) => m.body)).toEqual([text, JSON.stringify(object)])
    })

    it('with a payment that nothing owed, the stored body is the body alone (an object as its JSON)', async () => {
      const [alice, bob] = [newClient(), newClient()]
      const payment = { tx: [1, 2, 3], outputs: [] }
      await sendOk(
        alice,
        { recipient: bob.identityKey, messageBox: 'inbox', body: { amount: 5 } },
        { payment },
      )
      const listed = await listOk(bob, { messageBox: 'inbox' })
      expect(listed.messages[0].body).toBe('{"amount":5}')
    })

    it('recipient keys are canonicalised: uncompressed or upper-case hex reach the same box', async () => {
      const [alice, bob] = [newClient(), newClient()]
      const uncompressed = bob.privateKey.toPublicKey().encode(false, 'hex') as string
      await sendOk(alice, { recipient: uncompressed, messageBox: 'inbox', body: 'long form' })
      await sendOk(alice, {
        recipient: bob.identityKey.toUpperCase(),
        messageBox: 'inbox',
        body: 'upper case',
      })
      const listed = await listOk(bob, { messageBox: 'inbox' })
      expect(listed.messages.map((m: any) => m.body)).toEqual(['long form', 'upper case'])
      expect((await storedFor(bob.identityKey)).every((row) => row.sender === alice.identityKey)).toBe(true)
    })

    it('extra keys inside message (skipEncryption, checkPermissions) are ignored', async () => {
      const [alice, bob] = [newClient(), newClient()]
      await sendOk(alice, {
        recipient: bob.identityKey,
        messageBox: 'inbox',
        body: 'x',
        skipEncryption: true,
        checkPermissions: false,
      })
      expect((await listOk(bob, { messageBox: 'inbox' })).messages).toHaveLength(1)
    })

    it('malformed JSON → 400 ERR_INVALID_JSON', async () => {
      const res = await newClient().fetch('/sendMessage', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"message":',
      })
      await expectResponse(res, 400, 'ERR_INVALID_JSON')
    })
  })
})
