import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  answerOf,
  d1State,
  fuzzParameters,
  fuzzSession,
  sendWire,
  validKey,
  type WireRequest,
} from '../helpers/fuzz'
import { storedFor } from '../helpers/messages'

// Random mutations of validly signed requests: a tampered request never runs a handler (D1 unchanged, an
// unsigned 4xx), the untampered original still works afterwards (a refused request consumed nothing), and a
// replay of the original is refused the same way.

const RUNS = 30

const AUTH_HEADERS = [
  'x-bsv-auth-version',
  'x-bsv-auth-identity-key',
  'x-bsv-auth-nonce',
  'x-bsv-auth-your-nonce',
  'x-bsv-auth-request-id',
  'x-bsv-auth-signature',
] as const

/** Printable ASCII, so every mutated value is still a legal header value. */
const garbage = fc.string({
  unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 120,
})

/** Replaces one character with a different one from the same alphabet family (so the shape may survive). */
function flipAt(value: string, index: number, to: string): string {
  const i = index % Math.max(value.length, 1)
  const replacement = value[i] === to ? (to === 'A' ? 'B' : 'A') : to
  return value.slice(0, i) + replacement + value.slice(i + 1)
}

type Mutation = { describe: string; apply: (r: WireRequest) => WireRequest }

function withHeader(r: WireRequest, name: string, change: (value: string) => string | null): WireRequest {
  const headers: [string, string][] = []
  for (const [n, v] of r.headers) {
    if (n !== name) headers.push([n, v])
    else {
      const changed = change(v)
      if (changed !== null) headers.push([n, changed])
    }
  }
  return { ...r, headers }
}

/**
 * Mutations that change what was signed or who signed it. Upper-casing a hex header (identity key,
 * signature) is left out: it names the same bytes, so the request is still the one that was signed.
 */
const headerMutation: fc.Arbitrary<Mutation> = fc
  .tuple(
    fc.constantFrom(...AUTH_HEADERS),
    fc.oneof(
      fc.tuple(fc.nat(), fc.constantFrom('0', '1', 'f', 'A', 'z', '+', '/', '=')).map(([i, c]) => ({
        kind: `flip #${i} to ${c}`,
        change: (v: string) => flipAt(v, i, c),
      })),
      fc.nat().map((n) => ({
        kind: `truncate by ${(n % 8) + 1}`,
        change: (v: string) => v.slice(0, -((n % 8) + 1)),
      })),
      fc.constant({ kind: 'duplicate', change: (v: string) => `${v}, ${v}` }),
      garbage.map((g) => ({ kind: `garbage ${JSON.stringify(g)}`, change: () => g })),
      fc.constant({ kind: 'remove', change: () => null }),
      fc.constant({ kind: 'empty', change: () => '' }),
    ),
  )
  .map(([name, m]) => ({
    describe: `${name}: ${m.kind}`,
    apply: (r) => {
      const mutated = withHeader(r, name, m.change)
      // A mutation that happens to leave the value as it was is not tampering: make it change something.
      return JSON.stringify(mutated.headers) === JSON.stringify(r.headers)
        ? withHeader(r, name, (v) => `${v}0`)
        : mutated
    },
  }))

/** Case changes of base64 headers change their bytes (hex headers are excluded above). */
const caseMutation: fc.Arbitrary<Mutation> = fc
  .constantFrom('x-bsv-auth-nonce', 'x-bsv-auth-your-nonce', 'x-bsv-auth-request-id', 'x-bsv-auth-version')
  .map((name) => ({
    describe: `${name}: swap case`,
    apply: (r) =>
      withHeader(r, name, (v) => {
        const swapped = [...v]
          .map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()))
          .join('')
        return swapped === v ? `${v}A` : swapped
      }),
  }))

const bodyMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([i, x]) => ({
    describe: `body byte #${i} xor ${x}`,
    apply: (r: WireRequest) => {
      const body = new Uint8Array(r.body!)
      body[i % body.length]! ^= x
      return { ...r, body }
    },
  })),
  fc.nat().map((n) => ({
    describe: `body truncated by ${(n % 20) + 1}`,
    apply: (r: WireRequest) => ({ ...r, body: r.body!.slice(0, -((n % 20) + 1)) }),
  })),
  fc.constant({
    describe: 'body whitespace appended',
    apply: (r: WireRequest) => ({ ...r, body: new Uint8Array([...r.body!, 0x20]) }),
  }),
)

const pathMutation: fc.Arbitrary<Mutation> = fc
  .constantFrom(
    (u: URL) => `${u.origin}/SendMessage`,
    (u: URL) => `${u.origin}/%73endMessage`,
    (u: URL) => `${u.origin}/sendMessage/`,
    (u: URL) => `${u.origin}//sendMessage`,
    (u: URL) => `${u.origin}/sendMessage?x=1`,
    (u: URL) => `${u.origin}/listMessages`,
    (u: URL) => `${u.origin}/acknowledgeMessage`,
  )
  .map((to) => ({
    describe: `url → ${to(new URL('https://h'))}`,
    apply: (r: WireRequest) => ({ ...r, url: to(new URL(r.url)) }),
  }))

const methodMutation: fc.Arbitrary<Mutation> = fc.constantFrom('PUT', 'PATCH', 'DELETE').map((method) => ({
  describe: `method → ${method}`,
  apply: (r: WireRequest) => ({ ...r, method }),
}))

const contentTypeMutation: fc.Arbitrary<Mutation> = fc
  .constantFrom('text/plain', 'application/x-www-form-urlencoded')
  .map((type) => ({
    describe: `content-type → ${type}`,
    apply: (r: WireRequest) => withHeader(r, 'content-type', () => type),
  }))

const mutation = fc.oneof(
  { weight: 6, arbitrary: headerMutation },
  { weight: 2, arbitrary: caseMutation },
  { weight: 2, arbitrary: bodyMutation },
  { weight: 2, arbitrary: pathMutation },
  { weight: 1, arbitrary: methodMutation },
  { weight: 1, arbitrary: contentTypeMutation },
)

async function expectRefusedUnsigned(res: Response, what: string) {
  const answer = await answerOf(res)
  const detail = `${what} → ${answer.status} ${answer.text.slice(0, 200)}`
  expect(answer.status, detail).toBeGreaterThanOrEqual(400)
  expect(answer.status, detail).toBeLessThan(500)
  expect(answer.signed, `refused before any handler, so unsigned: ${detail}`).toBe(false)
  return answer
}

describe('fuzz: tampered and replayed BRC-104 requests', () => {
  it('a mutated sendMessage never runs; the original then stores once; its replay is refused', async () => {
    const session = await fuzzSession()
    await fc.assert(
      fc.asyncProperty(
        mutation,
        validKey,
        fc.string({ minLength: 1, maxLength: 30 }),
        async (m, recipient, body) => {
          const original = await session.sign({
            path: '/sendMessage',
            body: { message: { recipient, messageBox: 'inbox', messageId: 'fuzz-1', body: `b${body}` } },
          })
          const before = await d1State()
          await expectRefusedUnsigned(await sendWire(m.apply(original)), m.describe)
          expect(await d1State(), `D1 unchanged after ${m.describe}`).toBe(before)

          const ok = await answerOf(await sendWire(original))
          expect(ok.status, `the untampered original still works after ${m.describe}: ${ok.text}`).toBe(200)
          expect(await storedFor(recipient)).toHaveLength(1)

          const afterOriginal = await d1State()
          const replay = await expectRefusedUnsigned(await sendWire(original), 'replay')
          expect(replay.code).toBe('ERR_REPLAYED_REQUEST')
          expect(await d1State(), 'D1 unchanged after a replay').toBe(afterOriginal)
        },
      ),
      fuzzParameters('tampered sendMessage', RUNS),
    )
  })

  it('a mutated permissions/set or registerDevice never runs (D1 unchanged, unsigned 4xx)', async () => {
    const session = await fuzzSession()
    const requests = fc.oneof(
      fc.string({ minLength: 1, maxLength: 20 }).map((b) => ({
        path: '/permissions/set',
        body: { messageBox: `box-${b}`, recipientFee: -1 },
      })),
      fc.string({ minLength: 1, maxLength: 20 }).map((t) => ({
        path: '/registerDevice',
        body: { fcmToken: `token-${t}`, platform: 'web' },
      })),
    )
    await fc.assert(
      fc.asyncProperty(
        requests,
        fc.oneof(headerMutation, caseMutation, bodyMutation, methodMutation),
        async (request, m) => {
          const before = await d1State()
          await expectRefusedUnsigned(await sendWire(m.apply(await session.sign(request))), m.describe)
          expect(await d1State(), `D1 unchanged after ${m.describe}`).toBe(before)
        },
      ),
      fuzzParameters('tampered permissions/set, registerDevice', RUNS),
    )
  })

  it("a request signed in one identity's session but naming another identity never runs", async () => {
    const [alice, mallory] = [await fuzzSession(), await fuzzSession()]
    await fc.assert(
      fc.asyncProperty(validKey, async (recipient) => {
        const signed = await mallory.sign({
          path: '/sendMessage',
          body: { message: { recipient, messageBox: 'inbox', body: 'x' } },
        })
        const before = await d1State()
        const claimed = withHeader(signed, 'x-bsv-auth-identity-key', () => alice.identityKey)
        await expectRefusedUnsigned(await sendWire(claimed), 'identity swapped')
        expect(await d1State()).toBe(before)
      }),
      fuzzParameters('identity swap', 10),
    )
  })
})
