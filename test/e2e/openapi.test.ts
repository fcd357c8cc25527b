import { PrivateKey } from '@bsv/sdk'
import { Validator } from '@seriousme/openapi-schema-validator'
import Ajv2020 from 'ajv/dist/2020'
import { beforeAll, describe, expect, inject, it } from 'vitest'
import { boxName, newPlainClient, type PlainClient, withTimeout } from './helpers/clients'

// GET /openapi.json against `wrangler dev`: a valid OpenAPI 3.1 document, and every operation in it called for
// real (authenticated ones through the real AuthFetch), each answer's status, media type and body checked against
// what the document says for that operation and status. Ajv compiles code with `new Function`, which workerd
// forbids, so this runs in Node.

const host = inject('relayUrl')

type Schema = Record<string, any>
interface Answer {
  status: number
  /** The media type without parameters; AuthFetch's rebuilt response may not carry one (then JSON). */
  type: string
  body: unknown
}

/** Public routes no client can make fail (their only errors are the server's own 500s). */
const NO_CLIENT_ERROR = new Set(['getLanding', 'getHealth', 'getOpenApiDocument', 'getApiReference'])

let document: Schema
let resolved: Schema
const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true })
ajv.addFormat('date-time', {
  type: 'string',
  validate: (text: string) =>
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(text) && !Number.isNaN(Date.parse(text)),
})
/** What each operation answered in this run, by operationId: the statuses seen. */
const seen = new Map<string, number[]>()

function operation(operationId: string): Schema {
  for (const methods of Object.values(resolved.paths) as Schema[]) {
    for (const candidate of Object.values(methods) as Schema[]) {
      if (candidate.operationId === operationId) return candidate
    }
  }
  throw new Error(`no operation ${operationId} in the document`)
}

/** Asserts that `answer` is one the document allows for `operationId`, and records it. */
function conforms(operationId: string, answer: Answer, expectedStatus?: number): void {
  const what = `${operationId} → ${answer.status} ${JSON.stringify(answer.body)?.slice(0, 300)}`
  if (expectedStatus !== undefined) expect(answer.status, what).toBe(expectedStatus)
  const response = operation(operationId).responses[String(answer.status)]
  expect(response, `${what}: status not in the document`).toBeDefined()
  const media = response.content?.[answer.type]
  expect(media, `${what}: ${answer.type} not in the document for this status`).toBeDefined()
  const validate = ajv.compile(media.schema)
  expect(validate(answer.body), `${what}: ${ajv.errorsText(validate.errors)}`).toBe(true)
  seen.set(operationId, [...(seen.get(operationId) ?? []), answer.status])
}

async function answerOf(res: Response, assumeJson = false): Promise<Answer> {
  const type = (res.headers.get('content-type') ?? (assumeJson ? 'application/json' : ''))
    .split(';')[0]!
    .trim()
  const text = await res.text()
  return { status: res.status, type, body: type === 'application/json' ? JSON.parse(text) : text }
}

/** A public request over plain fetch. */
async function plain(method: string, path: string, body?: string, contentType = 'application/json') {
  const init: RequestInit = { method }
  if (body !== undefined) init.body = body
  if (body !== undefined) init.headers = { 'content-type': contentType }
  return answerOf(await fetch(`${host}${path}`, init))
}

/** A BRC-104 request through the real AuthFetch (JSON bodies are sent as given when a string). */
async function signed(client: PlainClient, method: 'GET' | 'POST', path: string, body?: unknown) {
  const init: Parameters<PlainClient['authFetch']['fetch']>[1] = { method }
  if (body !== undefined) {
    init.headers = { 'content-type': 'application/json' }
    init.body = typeof body === 'string' ? body : JSON.stringify(body)
  }
  const res = await withTimeout(client.authFetch.fetch(`${host}${path}`, init), `${method} ${path}`)
  return answerOf(res, true)
}

/** The same route without BRC-104 headers: the 401 every authenticated operation documents. */
async function unsigned(operationId: string, method: 'GET' | 'POST', path: string) {
  const answer = await plain(method, path, method === 'POST' ? '{}' : undefined)
  conforms(operationId, answer, 401)
  expect(answer.body).toMatchObject({ code: 'UNAUTHORIZED' })
}

function code(answer: Answer): unknown {
  return (answer.body as { code?: unknown }).code
}

beforeAll(async () => {
  const res = await fetch(`${host}/openapi.json`)
  expect(res.status).toBe(200)
  document = (await res.json()) as Schema
  const validator = new Validator()
  const result = await validator.validate(document)
  expect(result.errors, JSON.stringify(result.errors)?.slice(0, 2000)).toBeUndefined()
  expect(result.valid).toBe(true)
  expect(validator.version).toBe('3.1')
  resolved = validator.resolveRefs()
})

describe('GET /openapi.json against wrangler dev', () => {
  it('is a valid OpenAPI 3.1 document (@seriousme/openapi-schema-validator) for this relay', async () => {
    expect(document.openapi).toMatch(/^3\.1\.\d+$/)
    const health = (await (await fetch(`${host}/health`)).json()) as { version: string }
    expect(document.info.version).toBe(health.version)
    expect(Object.keys(document.paths)).toContain('/sendMessage')
  })
})

describe('every operation answers as the document says', () => {
  let alice: PlainClient, bob: PlainClient

  beforeAll(() => {
    ;[alice, bob] = [newPlainClient(host), newPlainClient(host)]
  })

  it('public pages and documents', async () => {
    conforms('getHealth', await plain('GET', '/health'), 200)
    conforms('getLanding', await plain('GET', '/'), 200)
    conforms('getApiReference', await plain('GET', '/docs'), 200)
    conforms('getOpenApiDocument', await plain('GET', '/openapi.json'), 200)
  })

  it('POST /.well-known/auth: an initialRequest, and malformed handshakes', async () => {
    const initialNonce = Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString('base64')
    const identityKey = PrivateKey.fromRandom().toPublicKey().toString()
    const opened = await plain(
      'POST',
      '/.well-known/auth',
      JSON.stringify({
        version: '0.1',
        messageType: 'initialRequest',
        identityKey,
        initialNonce,
        requestedCertificates: { certifiers: [], types: {} },
      }),
    )
    conforms('authenticate', opened, 200)
    expect(opened.body).toMatchObject({ messageType: 'initialResponse', yourNonce: initialNonce })
    const wrongVersion = await plain(
      'POST',
      '/.well-known/auth',
      JSON.stringify({ version: '9', messageType: 'initialRequest' }),
    )
    conforms('authenticate', wrongVersion, 400)
    expect(code(wrongVersion)).toBe('ERR_INVALID_HANDSHAKE')
    const notJson = await plain('POST', '/.well-known/auth', '{"version":')
    conforms('authenticate', notJson, 400)
    expect(code(notJson)).toBe('ERR_INVALID_JSON')
  })

  it('POST /sendMessage: one and several recipients, a repeat, refusals', async () => {
    const carol = newPlainClient(host)
    const messageBox = boxName('openapi')
    const one = await signed(alice, 'POST', '/sendMessage', {
      message: { recipient: bob.identityKey, messageBox, messageId: 'oa-1', body: 'hello' },
    })
    conforms('sendMessage', one, 200)
    const several = await signed(alice, 'POST', '/sendMessage', {
      message: { recipients: [bob.identityKey, carol.identityKey], messageBox, body: { as: 'object' } },
    })
    conforms('sendMessage', several, 200)
    const repeat = await signed(alice, 'POST', '/sendMessage', {
      message: { recipient: bob.identityKey, messageBox, messageId: 'oa-1', body: 'hello' },
    })
    conforms('sendMessage', repeat, 200)
    expect(repeat.body).toMatchObject({ results: [{ duplicate: true }] })

    const noMessage = await signed(alice, 'POST', '/sendMessage', {})
    conforms('sendMessage', noMessage, 400)
    expect(code(noMessage)).toBe('ERR_MESSAGE_REQUIRED')
    // notifications cost 10 + 10 sat by default: no payment, no send.
    const unpaid = await signed(alice, 'POST', '/sendMessage', {
      message: { recipient: bob.identityKey, messageBox: 'notifications', body: 'ping' },
    })
    conforms('sendMessage', unpaid, 400)
    expect(code(unpaid)).toBe('ERR_MISSING_PAYMENT_TX')
    const stolenId = await signed(carol, 'POST', '/sendMessage', {
      message: { recipient: bob.identityKey, messageBox, messageId: 'oa-1', body: 'mine now' },
    })
    conforms('sendMessage', stolenId, 400)
    expect(code(stolenId)).toBe('ERR_DUPLICATE_MESSAGE')

    const blockedBox = boxName('blocked')
    conforms(
      'setPermission',
      await signed(bob, 'POST', '/permissions/set', { messageBox: blockedBox, recipientFee: -1 }),
      200,
    )
    const blocked = await signed(alice, 'POST', '/sendMessage', {
      message: { recipient: bob.identityKey, messageBox: blockedBox, body: 'let me in' },
    })
    conforms('sendMessage', blocked, 403)
    expect(blocked.body).toMatchObject({ code: 'ERR_DELIVERY_BLOCKED', blockedRecipients: [bob.identityKey] })
    await unsigned('sendMessage', 'POST', '/sendMessage')
  })

  it('POST /listMessages, /listMessageBoxes, /acknowledgeMessage', async () => {
    const dave = newPlainClient(host)
    const messageBox = boxName('listed')
    conforms(
      'sendMessage',
      await signed(alice, 'POST', '/sendMessage', {
        message: { recipient: dave.identityKey, messageBox, messageId: 'l-1', body: 'one' },
      }),
      200,
    )
    conforms(
      'sendMessage',
      await signed(alice, 'POST', '/sendMessage', {
        message: { recipient: dave.identityKey, messageBox, messageId: 'l-2', body: 'two' },
      }),
      200,
    )

    const firstPage = await signed(dave, 'POST', '/listMessages', { messageBox, limit: 1 })
    conforms('listMessages', firstPage, 200)
    expect(firstPage.body).toMatchObject({ hasMore: true, nextOffset: 1 })
    const lastPage = await signed(dave, 'POST', '/listMessages', { messageBox, offset: 1 })
    conforms('listMessages', lastPage, 200)
    expect(lastPage.body).toMatchObject({ hasMore: false, nextOffset: null })
    const badLimit = await signed(dave, 'POST', '/listMessages', { messageBox, limit: 0 })
    conforms('listMessages', badLimit, 400)
    expect(code(badLimit)).toBe('ERR_INVALID_LIMIT')
    await unsigned('listMessages', 'POST', '/listMessages')

    const boxes = await signed(dave, 'POST', '/listMessageBoxes', {})
    conforms('listMessageBoxes', boxes, 200)
    expect(boxes.body).toMatchObject({ messageBoxes: [{ messageBox, count: 2 }] })
    const notJson = await signed(dave, 'POST', '/listMessageBoxes', '{"unterminated": ')
    conforms('listMessageBoxes', notJson, 400)
    expect(code(notJson)).toBe('ERR_INVALID_JSON')
    await unsigned('listMessageBoxes', 'POST', '/listMessageBoxes')

    const acked = await signed(dave, 'POST', '/acknowledgeMessage', { messageIds: ['l-1', 'l-2'] })
    conforms('acknowledgeMessage', acked, 200)
    const again = await signed(dave, 'POST', '/acknowledgeMessage', { messageIds: ['l-1'] })
    conforms('acknowledgeMessage', again, 400)
    expect(code(again)).toBe('ERR_INVALID_ACKNOWLEDGMENT')
    const none = await signed(dave, 'POST', '/acknowledgeMessage', { messageIds: [] })
    conforms('acknowledgeMessage', none, 400)
    expect(code(none)).toBe('ERR_MESSAGE_ID_REQUIRED')
    await unsigned('acknowledgeMessage', 'POST', '/acknowledgeMessage')
  })

  it('/permissions/*: set, get, list, quote and their refusals', async () => {
    const messageBox = boxName('perm')
    conforms(
      'setPermission',
      await signed(bob, 'POST', '/permissions/set', { messageBox, recipientFee: 5 }),
      200,
    )
    conforms(
      'setPermission',
      await signed(bob, 'POST', '/permissions/set', {
        messageBox,
        sender: alice.identityKey,
        recipientFee: 0,
      }),
      200,
    )
    const badFee = await signed(bob, 'POST', '/permissions/set', { messageBox, recipientFee: 1.5 })
    conforms('setPermission', badFee, 400)
    expect(code(badFee)).toBe('ERR_INVALID_FEE_VALUE')
    await unsigned('setPermission', 'POST', '/permissions/set')

    const query = (params: string[][]) => `?${new URLSearchParams(params)}`
    const found = await signed(
      bob,
      'GET',
      `/permissions/get${query([
        ['messageBox', messageBox],
        ['sender', alice.identityKey],
      ])}`,
    )
    conforms('getPermission', found, 200)
    expect(found.body).toMatchObject({
      permission: { sender: alice.identityKey, recipientFee: 0, status: 'always_allow' },
    })
    const unset = await signed(bob, 'GET', `/permissions/get${query([['messageBox', boxName('unset')]])}`)
    conforms('getPermission', unset, 200)
    expect(unset.body).toMatchObject({ permission: null })
    const missing = await signed(bob, 'GET', '/permissions/get')
    conforms('getPermission', missing, 400)
    expect(code(missing)).toBe('ERR_MISSING_PARAMETERS')
    await unsigned('getPermission', 'GET', '/permissions/get')

    const listed = await signed(bob, 'GET', `/permissions/list${query([['message_box', messageBox]])}`)
    conforms('listPermissions', listed, 200)
    expect(listed.body).toMatchObject({ totalCount: 2 })
    const badOrder = await signed(bob, 'GET', `/permissions/list${query([['createdAtOrder', 'sideways']])}`)
    conforms('listPermissions', badOrder, 400)
    expect(code(badOrder)).toBe('ERR_INVALID_REQUEST')
    await unsigned('listPermissions', 'GET', '/permissions/list')

    const single = await signed(
      alice,
      'GET',
      `/permissions/quote${query([
        ['recipient', bob.identityKey],
        ['messageBox', 'notifications'],
      ])}`,
    )
    conforms('getQuote', single, 200)
    expect(single.body).toMatchObject({ quote: { deliveryFee: 10, recipientFee: 10 } })
    const batch = await signed(
      alice,
      'GET',
      `/permissions/quote${query([
        ['recipient', bob.identityKey],
        ['recipient', alice.identityKey.toUpperCase()],
        ['messageBox', messageBox],
      ])}`,
    )
    conforms('getQuote', batch, 200)
    expect(batch.body).toMatchObject({ quotesByRecipient: [{ recipientFee: 0 }, { recipientFee: 0 }] })
    const badKey = await signed(
      alice,
      'GET',
      `/permissions/quote${query([
        ['recipient', 'not-a-key'],
        ['messageBox', messageBox],
      ])}`,
    )
    conforms('getQuote', badKey, 400)
    expect(code(badKey)).toBe('ERR_INVALID_PUBLIC_KEY')
    await unsigned('getQuote', 'GET', '/permissions/quote')
  })

  it('devices: register, list, unregister and their refusals', async () => {
    const erin = newPlainClient(host)
    const fcmToken = `openapi-token-${Math.random().toString(36).slice(2)}`
    conforms(
      'registerDevice',
      await signed(erin, 'POST', '/registerDevice', { fcmToken, platform: 'android', deviceId: 'pixel' }),
      200,
    )
    conforms(
      'registerDevice',
      await signed(erin, 'POST', '/registerDevice', { fcmToken: `${fcmToken}-2` }),
      200,
    )
    const badPlatform = await signed(erin, 'POST', '/registerDevice', { fcmToken, platform: 'symbian' })
    conforms('registerDevice', badPlatform, 400)
    expect(code(badPlatform)).toBe('ERR_INVALID_PLATFORM')
    await unsigned('registerDevice', 'POST', '/registerDevice')

    const listed = await signed(erin, 'GET', '/devices')
    conforms('listDevices', listed, 200)
    expect((listed.body as { devices: unknown[] }).devices).toHaveLength(2)
    await unsigned('listDevices', 'GET', '/devices')

    conforms('unregisterDevice', await signed(erin, 'POST', '/unregisterDevice', { fcmToken }), 200)
    const noToken = await signed(erin, 'POST', '/unregisterDevice', { fcmToken: '  ' })
    conforms('unregisterDevice', noToken, 400)
    expect(code(noToken)).toBe('ERR_INVALID_FCM_TOKEN')
    await unsigned('unregisterDevice', 'POST', '/unregisterDevice')
  })

  it('/socket.io/: open a polling connection, send it a packet, and Engine.IO refusals', async () => {
    const opened = await plain('GET', '/socket.io/?EIO=4&transport=polling')
    conforms('liveOpen', opened, 200)
    const sid = (JSON.parse((opened.body as string).slice(1)) as { sid: string }).sid
    const close = await plain(
      'POST',
      `/socket.io/?EIO=4&transport=polling&sid=${encodeURIComponent(sid)}`,
      '1',
      'text/plain;charset=UTF-8',
    )
    conforms('liveSend', close, 200)
    const oldProtocol = await plain('GET', '/socket.io/?EIO=3&transport=polling')
    conforms('liveOpen', oldProtocol, 400)
    const postWithoutSid = await plain(
      'POST',
      '/socket.io/?EIO=4&transport=polling',
      '1',
      'text/plain;charset=UTF-8',
    )
    conforms('liveSend', postWithoutSid, 400)
  })

  it('every operation of the document was called, with a success and (where a client can cause one) an error', () => {
    const operationIds = Object.values(document.paths).flatMap((methods) =>
      Object.values(methods as Schema).map((o) => (o as Schema).operationId as string),
    )
    expect(operationIds.length).toBeGreaterThan(15)
    for (const operationId of operationIds) {
      const statuses = seen.get(operationId) ?? []
      expect(
        statuses.some((s) => s < 400),
        `${operationId}: no success seen (${statuses})`,
      ).toBe(true)
      if (!NO_CLIENT_ERROR.has(operationId)) {
        expect(
          statuses.some((s) => s >= 400),
          `${operationId}: no error seen (${statuses})`,
        ).toBe(true)
      }
    }
  })
})
