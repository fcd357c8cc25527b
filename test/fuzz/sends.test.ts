import { env } from 'cloudflare:test'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  answerOf,
  controlChar,
  d1State,
  fuzzParameters,
  fuzzSession,
  LONE_SURROGATE,
  utf8Bytes,
  validKey,
  wellFormedText,
  withLoneSurrogate,
} from '../helpers/fuzz'
import { fillBox, storedFor } from '../helpers/messages'
import { relayWithEnv } from '../helpers/relay-with-env'

// Multi-recipient sends in which one recipient is made to fail at a random position and in a random way:
// the send stores a copy for every recipient or for none. And random Unicode in every text field of a
// send: accepted exactly when the contract says, stored exactly as sent, a lone surrogate refused.

const RUNS = 20
const INBOX_QUOTA = 3

/** How the one failing recipient fails; each is set up through storage or the real routes, not the validator. */
type Failure = 'none' | 'blocked' | 'taken-id' | 'inbox-full' | 'invalid-key' | 'duplicate-recipient'

describe('fuzz: a send is all-or-nothing', () => {
  it('a multi-recipient send with one failing recipient at a random position stores for all or for none', async () => {
    // The real app, D1 and Mailbox, with an inbox quota of 3 so a full inbox is cheap to set up.
    const relay = relayWithEnv({ INBOX_QUOTA: String(INBOX_QUOTA) })
    const sender = await fuzzSession(relay.fetch)
    const other = await fuzzSession(relay.fetch)
    // One recipient whose inbox is at the quota, shared by the runs.
    const fullRecipient = fc.sample(validKey, 1)[0]!
    await fillBox(fullRecipient, 'filler', INBOX_QUOTA)
    const failures: fc.Arbitrary<Failure> = fc.constantFrom(
      'none',
      'blocked',
      'taken-id',
      'inbox-full',
      'invalid-key',
      'duplicate-recipient',
    )
    let run = 0
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 8 }),
        fc.nat(),
        failures,
        fc.string({ minLength: 1, maxLength: 50 }),
        async (count, at, failure, body) => {
          run++
          const box = `aon-${run}`
          const blocker = failure === 'blocked' ? await fuzzSession(relay.fetch) : null
          const recipients: string[] = []
          for (let i = 0; i < count; i++) recipients.push(fc.sample(validKey, 1)[0]!)
          const i = at % count
          const ids = recipients.map((_, n) => `id-${run}-${n}`)
          if (failure === 'blocked') {
            recipients[i] = blocker!.identityKey
            const set = await blocker!.send({
              path: '/permissions/set',
              body: { messageBox: box, recipientFee: -1 },
            })
            expect(set.status).toBe(200)
          }
          if (failure === 'taken-id') {
            // Another sender already has this id waiting for recipient i.
            const taken = await other.send({
              path: '/sendMessage',
              body: {
                message: { recipient: recipients[i], messageBox: box, messageId: ids[i], body: 'first' },
              },
            })
            expect(taken.status).toBe(200)
          }
          if (failure === 'inbox-full') recipients[i] = fullRecipient
          if (failure === 'invalid-key') recipients[i] = '02' + 'ff'.repeat(32)
          if (failure === 'duplicate-recipient') recipients[i] = recipients[(i + 1) % count]!

          const before = await d1State()
          const storedBefore = await Promise.all(recipients.map((r) => storedFor(r)))
          const answer = await answerOf(
            await sender.send({
              path: '/sendMessage',
              body: { message: { recipients, messageBox: box, messageId: ids, body } },
            }),
          )
          const what = `${failure} at ${i}/${count} → ${answer.status} ${answer.text.slice(0, 200)}`
          expect(answer.status, what).toBeLessThan(500)
          expect(answer.status === 200, what).toBe(failure === 'none')
          if (answer.status !== 200) {
            expect(await d1State(), `nothing stored: ${what}`).toBe(before)
            return
          }
          for (const [n, recipient] of recipients.entries()) {
            const added = (await storedFor(recipient)).slice(storedBefore[n]!.length)
            expect(added, `recipient ${n}: ${what}`).toEqual([
              expect.objectContaining({
                message_id: ids[n],
                sender: sender.identityKey,
                message_box: box,
                body,
              }),
            ])
          }
        },
      ),
      fuzzParameters('all-or-nothing send', RUNS),
    )
  })
})

/**
 * The contract's rule for a box name (independent oracle): trimmed, 1–128 UTF-8 bytes, NFC, no character of
 * Cc, Cf, Zl, Zp, Co or Cn, not `*`, well-formed.
 */
function boxIsValid(raw: string): boolean {
  const name = raw.trim()
  const bytes = utf8Bytes(name)
  return (
    bytes >= 1 &&
    bytes <= 128 &&
    name !== '*' &&
    name.normalize('NFC') === name &&
    !/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}]/u.test(name) &&
    !LONE_SURROGATE.test(name)
  )
}

/** The contract's rule for an id: non-blank, 1–256 UTF-8 bytes, no Cc, well-formed. */
function idIsValid(id: string): boolean {
  const bytes = utf8Bytes(id)
  return id.trim().length > 0 && bytes <= 256 && !/\p{Cc}/u.test(id) && !LONE_SURROGATE.test(id)
}

/** Text around a length limit, built from 1-, 2-, 3- and 4-byte characters, sometimes with a control character. */
const aroundLimit = (bytes: number) =>
  fc
    .tuple(
      fc.constantFrom('a', 'é', '€', '😀', ' '),
      fc.integer({ min: Math.max(bytes / 4 - 8, 0), max: bytes + 8 }),
      fc.option(controlChar, { freq: 6 }),
    )
    .map(([c, n, control]) => {
      const text = c.repeat(Math.max(Math.floor(n / utf8Bytes(c)), 0))
      return control === null ? text : text.slice(0, -1) + control
    })

const boxText = fc.oneof(wellFormedText(40), aroundLimit(128), fc.string({ unit: 'grapheme', maxLength: 30 }))
const idText = fc.oneof(wellFormedText(40), aroundLimit(256), fc.string({ unit: 'grapheme', maxLength: 30 }))
const bodyText = fc.oneof(
  wellFormedText(200),
  fc.string({ unit: 'grapheme', maxLength: 100 }),
  fc.string({ unit: fc.oneof(controlChar, fc.constantFrom('"', '\\', '\u2028', '😀')), maxLength: 100 }),
)

describe('fuzz: Unicode in every text field of a send (well-formed text)', () => {
  it('accepted exactly when the contract allows it, and stored exactly as sent (box trimmed)', async () => {
    const sender = await fuzzSession()
    await fc.assert(
      fc.asyncProperty(boxText, idText, bodyText, async (messageBox, messageId, body) => {
        // A fresh recipient per attempt (shrinking replays values; a repeated id would be a duplicate).
        const recipient = fc.sample(validKey, 1)[0]!
        const already = (await storedFor(recipient)).length
        const answer = await answerOf(
          await sender.send({
            path: '/sendMessage',
            body: { message: { recipient, messageBox, messageId, body } },
          }),
        )
        const what = `${JSON.stringify({ messageBox, messageId, body }).slice(0, 300)} → ${answer.status} ${answer.text.slice(0, 200)}`
        const valid = boxIsValid(messageBox) && idIsValid(messageId) && body.trim().length > 0
        expect(answer.status, what).toBe(valid ? 200 : 400)
        const stored = (await storedFor(recipient)).slice(already)
        expect(stored, what).toEqual(valid ? [expect.anything()] : [])
        if (valid)
          expect(stored, what).toEqual([
            expect.objectContaining({ message_box: messageBox.trim(), message_id: messageId, body }),
          ])
      }),
      fuzzParameters('unicode send fields', RUNS * 2),
    )
  })
})

describe('fuzz: lone surrogates are refused with the field code (contract "Text")', () => {
  const cases = [
    ['messageBox', 'ERR_INVALID_MESSAGEBOX'],
    ['messageId', 'ERR_INVALID_MESSAGEID'],
    ['body', 'ERR_INVALID_MESSAGE_BODY'],
  ] as const
  for (const [fieldName, code] of cases) {
    // Issue 9, finding 7: such text used to be stored as U+FFFD.
    it(`sendMessage ${fieldName}: a lone surrogate is a 400 ${code} and nothing is stored`, async () => {
      const sender = await fuzzSession()
      await fc.assert(
        fc.asyncProperty(withLoneSurrogate, validKey, async (text, recipient) => {
          const message = {
            recipient,
            messageBox: 'inbox',
            messageId: 'id-1',
            body: 'hello',
            [fieldName]: `x${text}`,
          }
          const answer = await answerOf(await sender.send({ path: '/sendMessage', body: { message } }))
          expect(answer.status, answer.text).toBe(400)
          expect(answer.code).toBe(code)
          expect(await storedFor(recipient)).toEqual([])
        }),
        fuzzParameters(`lone surrogate in ${fieldName}`, 10),
      )
    })
  }

  it('permissions/set messageBox: a lone surrogate is a 400 ERR_INVALID_MESSAGE_BOX and nothing is stored', async () => {
    const owner = await fuzzSession()
    await fc.assert(
      fc.asyncProperty(withLoneSurrogate, async (text) => {
        const before = await d1State()
        const answer = await answerOf(
          await owner.send({ path: '/permissions/set', body: { messageBox: `x${text}`, recipientFee: 5 } }),
        )
        expect(answer.status, answer.text).toBe(400)
        expect(answer.code).toBe('ERR_INVALID_MESSAGE_BOX')
        expect(await d1State()).toBe(before)
      }),
      fuzzParameters('lone surrogate in permissions/set messageBox', 10),
    )
  })

  const deviceCases = [
    ['fcmToken', 'ERR_INVALID_FCM_TOKEN'],
    ['deviceId', 'ERR_INVALID_DEVICE_ID'],
  ] as const
  for (const [fieldName, code] of deviceCases) {
    it(`registerDevice ${fieldName}: a lone surrogate is a 400 ${code} and nothing is stored`, async () => {
      const owner = await fuzzSession()
      await fc.assert(
        fc.asyncProperty(withLoneSurrogate, async (text) => {
          const before = await d1State()
          const body = { fcmToken: 'token-1', deviceId: 'device-1', [fieldName]: `x${text}` }
          const answer = await answerOf(await owner.send({ path: '/registerDevice', body }))
          expect(answer.status, answer.text).toBe(400)
          expect(answer.code).toBe(code)
          expect(await d1State()).toBe(before)
        }),
        fuzzParameters(`lone surrogate in registerDevice ${fieldName}`, 10),
      )
    })
  }
})

describe('fuzz: a percent-encoded alias of a route is a 404 (contract "Text")', () => {
  /** The route path with some of its letters percent-encoded (at least one). */
  const alias = fc
    .tuple(
      fc.constantFrom(
        '/sendMessage',
        '/listMessages',
        '/acknowledgeMessage',
        '/permissions/set',
        '/registerDevice',
      ),
      fc.array(fc.boolean(), { minLength: 20, maxLength: 20 }),
    )
    .map(([path, picks]) => {
      const letters = [...path].map((c, i) =>
        /[a-zA-Z]/.test(c) && picks[i % picks.length] ? `%${c.charCodeAt(0).toString(16)}` : c,
      )
      const encoded = letters.join('')
      return encoded === path ? `/%${path.charCodeAt(1).toString(16)}${path.slice(2)}` : encoded
    })

  // Issue 9, finding 8: /%73endMessage used to run /sendMessage.
  it('validly signed for the alias path, it is a 404 and D1 is unchanged', async () => {
    const session = await fuzzSession()
    await fc.assert(
      fc.asyncProperty(alias, validKey, async (path, recipient) => {
        const body = {
          message: { recipient, messageBox: 'inbox', body: 'x' },
          messageIds: ['a'],
          messageBox: 'inbox',
          recipientFee: 1,
          fcmToken: 'token-alias',
        }
        const before = await d1State()
        const answer = await answerOf(await session.send({ path, body }))
        expect(answer.status, `${path}: ${answer.text}`).toBe(404)
        expect(await d1State()).toBe(before)
      }),
      fuzzParameters('percent-encoded route alias', 10),
    )
  })
})

// The count of stored rows is cheap to check at the end: nothing above left orphan bodies behind.
describe('fuzz: storage invariants after the runs above', () => {
  it('every stored body is referenced by a message, and every message has its body', async () => {
    const orphans = await env.DB.prepare(
      'SELECT count(*) AS n FROM message_bodies b WHERE b.id != 0 AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.body_id = b.id AND m.body_id != 0)',
    ).first<number>('n')
    const dangling = await env.DB.prepare(
      'SELECT count(*) AS n FROM messages m WHERE NOT EXISTS (SELECT 1 FROM message_bodies b WHERE b.id = m.body_id)',
    ).first<number>('n')
    expect({ orphans, dangling }).toEqual({ orphans: 0, dangling: 0 })
  })
})
