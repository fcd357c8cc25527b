import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  answerOf,
  anyJson,
  d1State,
  fuzzParameters,
  fuzzSession,
  nastyText,
  type UnsignedRequest,
  validKey,
} from '../helpers/fuzz'

// Random requests, validly signed, to every authenticated route: whatever the JSON body or query, the relay
// answers below 500, signs its answer, never answers empty, and after any 4xx D1 is as it was.

const RUNS_PER_ROUTE = 20

/** A value for a field: usually something of the right kind, often something of any kind. */
const field = (...likely: fc.Arbitrary<unknown>[]) => fc.oneof(...likely, nastyText, anyJson)

const keyish = field(
  validKey,
  validKey.map((k) => k.toUpperCase()),
  fc.constant('02' + 'ff'.repeat(32)),
)
const box = field(fc.constantFrom('inbox', 'notifications', 'payment_inbox', '  inbox  '))
const intish = field(fc.integer({ min: -3, max: 1200 }), fc.double(), fc.constantFrom(2 ** 53, -0, 1e21))

/** A JSON object with some of `fields`, or any JSON at all. */
function jsonBody(fields: Record<string, fc.Arbitrary<unknown>>) {
  return fc.oneof({ weight: 4, arbitrary: fc.record(fields, { requiredKeys: [] }) }, anyJson)
}

/** Bodies that are not JSON at all: arbitrary text and arbitrary bytes (often invalid UTF-8). */
const notJson: fc.Arbitrary<Pick<UnsignedRequest, 'body' | 'rawBody'>> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }).map((body) => ({ body, rawBody: true })),
  fc.uint8Array({ maxLength: 60 }).map((body) => ({ body })),
)

const recipients = fc.oneof(keyish, fc.array(keyish, { maxLength: 5 }))
const messageIds = fc.oneof(field(), fc.array(field(fc.integer({ min: -1, max: 2 ** 40 })), { maxLength: 5 }))

const postRoutes: Record<string, fc.Arbitrary<unknown>> = {
  '/sendMessage': jsonBody({
    message: fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record(
          {
            recipient: recipients,
            recipients,
            messageBox: box,
            messageId: messageIds,
            body: field(),
            skipEncryption: field(),
          },
          { requiredKeys: [] },
        ),
      },
      anyJson,
    ),
    payment: field(),
  }),
  '/listMessages': jsonBody({ messageBox: box, limit: intish, offset: intish, skip: intish }),
  '/acknowledgeMessage': jsonBody({ messageIds, messageBox: box }),
  '/permissions/set': jsonBody({ messageBox: box, recipientFee: intish, sender: keyish }),
  '/registerDevice': jsonBody({
    fcmToken: field(fc.constant('token-abc')),
    deviceId: field(),
    platform: field(fc.constantFrom('ios', 'android', 'web', 'IOS')),
  }),
  '/unregisterDevice': jsonBody({ fcmToken: field(fc.constant('token-abc')) }),
  // Checked whether or not the route exists yet: a 404 must be just as harmless.
  '/listMessageBoxes': jsonBody({ messageBox: box }),
}

const queryValue = fc.oneof(
  fc.constantFrom('inbox', 'notifications', '', 'asc', 'desc', '0', '1', '1000', '1001', '-1', '1e3'),
  validKey,
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.nat({ max: 400 }).map((n) => 'b'.repeat(n)),
)

/** A query string over the route's own parameter names and some others, repeats allowed. */
function query(names: string[]) {
  return fc
    .array(fc.tuple(fc.oneof(fc.constantFrom(...names), fc.string({ maxLength: 8 })), queryValue), {
      maxLength: 8,
    })
    .map((pairs) => {
      const search = new URLSearchParams(pairs).toString()
      return search === '' ? '' : `?${search}`
    })
}

const getRoutes: Record<string, fc.Arbitrary<string>> = {
  '/permissions/get': query(['messageBox', 'sender', 'recipient']),
  '/permissions/list': query(['messageBox', 'message_box', 'limit', 'offset', 'createdAtOrder']),
  '/permissions/quote': query(['messageBox', 'recipient', 'recipient', 'recipient']),
  '/devices': query(['limit']),
}

async function expectHarmless(request: UnsignedRequest, session: Awaited<ReturnType<typeof fuzzSession>>) {
  const before = await d1State()
  const answer = await answerOf(await session.send(request))
  const what = `${request.method ?? 'POST'} ${request.path} → ${answer.status} ${answer.text.slice(0, 300)}`
  expect(answer.status, what).toBeLessThan(500)
  expect(answer.signed, `authenticated answers are signed: ${what}`).toBe(true)
  expect(answer.text.length, `never empty: ${what}`).toBeGreaterThan(0)
  if (answer.status >= 400) expect(await d1State(), `D1 unchanged after ${what}`).toBe(before)
}

describe('fuzz: random JSON bodies on every authenticated POST route', () => {
  for (const [path, body] of Object.entries(postRoutes)) {
    it(`POST ${path}: never 5xx, always signed and non-empty, D1 unchanged after a 4xx`, async () => {
      const session = await fuzzSession()
      await fc.assert(
        fc.asyncProperty(fc.oneof({ weight: 5, arbitrary: body.map((b) => ({ body: b })) }, notJson), (b) =>
          expectHarmless({ path, ...b }, session),
        ),
        fuzzParameters(`POST ${path}`, RUNS_PER_ROUTE),
      )
    })
  }
})

describe('fuzz: random query strings on every authenticated GET route', () => {
  for (const [path, search] of Object.entries(getRoutes)) {
    it(`GET ${path}: never 5xx, always signed and non-empty, D1 unchanged after a 4xx`, async () => {
      const session = await fuzzSession()
      await fc.assert(
        fc.asyncProperty(search, (s) => expectHarmless({ method: 'GET', path: path + s }, session)),
        fuzzParameters(`GET ${path}`, RUNS_PER_ROUTE),
      )
    })
  }
})
