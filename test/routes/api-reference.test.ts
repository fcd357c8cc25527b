import { PrivateKey } from '@bsv/sdk'
import { env, SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import pkg from '../../package.json'
import {
  errorCodesOf,
  type OpenApiDocument,
  type OperationObject,
  openApiDocument,
} from '../../src/api/document'
import { ALL_ERROR_CODES, AUTHENTICATION_ERRORS, SERVER_ERRORS } from '../../src/api/error-codes'
import { OPERATIONS } from '../../src/api/operations'
import { createApp } from '../../src/app'
import { type Config, readConfig } from '../../src/config'
import { RelayError, statusFor } from '../../src/errors'
import * as acknowledge from '../../src/validation/acknowledge-message'
import * as devices from '../../src/validation/devices'
import { ERROR_CODES_KEYWORD, type Fields, type JsonSchema } from '../../src/validation/field'
import * as listMessages from '../../src/validation/list-messages'
import * as permissions from '../../src/validation/permissions'
import * as sendMessage from '../../src/validation/send-message'
import { RELAY_ORIGIN } from '../helpers/relay'

type Schema = Record<string, any>

async function fetchDocument(): Promise<{ res: Response; document: OpenApiDocument }> {
  const res = await SELF.fetch(`${RELAY_ORIGIN}/openapi.json`)
  return { res, document: (await res.clone().json()) as OpenApiDocument }
}

function operationsOf(document: OpenApiDocument): [string, OperationObject][] {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]): [string, OperationObject] => [
      `${method.toUpperCase()} ${path}`,
      operation,
    ]),
  )
}

/** The JSON body schema of `operationId` in `document`. */
function bodySchema(document: OpenApiDocument, operationId: string): Schema {
  const operation = operationsOf(document).find(([, o]) => o.operationId === operationId)![1]
  return operation.requestBody!.content['application/json']!.schema as Schema
}

function parameterSchema(document: OpenApiDocument, operationId: string, name: string): Schema {
  const operation = operationsOf(document).find(([, o]) => o.operationId === operationId)![1]
  return operation.parameters!.find((p) => p.name === name)!.schema as Schema
}

/** The code `validate` throws, or null when it accepts. */
function refusal(validate: () => unknown): string | null {
  try {
    validate()
    return null
  } catch (error) {
    if (error instanceof RelayError) return error.code
    throw error
  }
}

const config = (): Config => readConfig(env)
const keys = (n: number) => Array.from({ length: n }, () => PrivateKey.fromRandom().toPublicKey().toString())

describe('GET /openapi.json', () => {
  it('is public OpenAPI 3.1 JSON with the package version, cacheable', async () => {
    const { res, document } = await fetchDocument()
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(res.headers.get('cache-control')).toBe('public, max-age=300')
    expect(document.openapi).toMatch(/^3\.1\.\d+$/)
    expect(document.info.version).toBe(pkg.version)
    expect(document.info.title).toBeTruthy()
  })

  it("has exactly the app's routes: every method and path the app serves is an operation, and no other", async () => {
    const { document } = await fetchDocument()
    const served = new Set(
      createApp()
        .routes.filter((route) => route.method !== 'ALL')
        .map((route) => `${route.method} ${route.path}`),
    )
    const documented = new Set(operationsOf(document).map(([name]) => name))
    expect([...documented].sort()).toEqual([...served].sort())
    expect(documented).toContain('POST /sendMessage')
    expect(documented).toContain('POST /.well-known/auth')
    expect(documented).toContain('GET /socket.io/')
    const ids = operationsOf(document).map(([, operation]) => operation.operationId)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('lists every code of every operation under the status errors.ts gives it, in the error envelope', async () => {
    const { document } = await fetchDocument()
    expect(operationsOf(document)).toHaveLength(OPERATIONS.length)
    for (const operation of OPERATIONS) {
      const documented = document.paths[operation.path]![operation.method]!
      const codes = errorCodesOf(operation)
      expect(documented['x-error-codes'], operation.operationId).toEqual(codes)
      for (const code of SERVER_ERRORS) expect(codes).toContain(code)
      for (const code of codes) {
        const response = documented.responses[String(statusFor(code))]
        expect(response, `${operation.operationId} ${code}`).toBeDefined()
        const schema = response!.content!['application/json']!.schema as Schema
        const envelopes = [schema, ...(schema.anyOf ?? [])].filter(
          (s: Schema) => s.allOf?.[0]?.$ref === '#/components/schemas/Error',
        )
        expect(envelopes, `${operation.operationId} ${code}`).toHaveLength(1)
        expect(envelopes[0].allOf[1].properties.code.enum, operation.operationId).toContain(code)
      }
      // No status carries a code the operation does not list.
      for (const [status, response] of Object.entries(documented.responses)) {
        const schema = response.content?.['application/json']?.schema as Schema | undefined
        const envelope = [schema, ...(schema?.anyOf ?? [])].find(
          (s: Schema | undefined) => s?.allOf?.[0]?.$ref === '#/components/schemas/Error',
        )
        for (const code of envelope?.allOf[1].properties.code.enum ?? []) {
          expect(String(statusFor(code)), `${operation.operationId} ${code}`).toBe(status)
          expect(codes).toContain(code)
        }
      }
    }
  })

  it('marks authenticated operations with the BRC-104 scheme and their authentication codes; public ones with none', async () => {
    const { document } = await fetchDocument()
    expect(document.components.securitySchemes.BRC104).toMatchObject({
      type: 'apiKey',
      in: 'header',
      name: 'x-bsv-auth-identity-key',
    })
    for (const header of ['version', 'identity-key', 'nonce', 'your-nonce', 'signature', 'request-id']) {
      expect(document.components.securitySchemes.BRC104!.description).toContain(`x-bsv-auth-${header}`)
    }
    const byName = Object.fromEntries(operationsOf(document))
    for (const name of [
      'POST /sendMessage',
      'GET /permissions/quote',
      'GET /devices',
      'POST /listMessageBoxes',
    ]) {
      expect(byName[name]!.security, name).toEqual([{ BRC104: [] }])
      for (const code of AUTHENTICATION_ERRORS) expect(byName[name]!['x-error-codes'], name).toContain(code)
    }
    for (const name of ['GET /health', 'GET /', 'GET /openapi.json', 'GET /docs', 'POST /.well-known/auth']) {
      expect(byName[name]!.security, name).toEqual([])
      expect(byName[name]!['x-error-codes'], name).not.toContain('UNAUTHORIZED')
    }
  })

  it('documents the error envelope with every code errors.ts has', async () => {
    const { document } = await fetchDocument()
    const error = document.components.schemas.Error as Schema
    expect(error.required).toEqual(['status', 'code', 'description'])
    expect(error.properties.code.enum).toEqual(ALL_ERROR_CODES)
    expect(error.properties.requestId).toBeDefined()
    expect(ALL_ERROR_CODES).toContain('ERR_SESSION_NOT_FOUND')
  })
})

describe('the document and the validators share one definition', () => {
  it("shows this relay's configured limits: another configuration, another document", () => {
    const custom = readConfig({ ...env, MAX_RECIPIENTS_PER_SEND: '7', MAX_ACKNOWLEDGE_IDS: '9' })
    const document = openApiDocument(custom)
    const message = bodySchema(document, 'sendMessage').properties.message
    expect(message.properties.recipients.maxItems).toBe(7)
    expect(bodySchema(document, 'acknowledgeMessage').properties.messageIds.maxItems).toBe(9)
    expect(parameterSchema(document, 'getQuote', 'recipient').maxItems).toBe(7)
    // Built once per configuration.
    expect(openApiDocument(custom)).toBe(document)
    expect(openApiDocument(config())).not.toBe(document)
    expect(bodySchema(openApiDocument(config()), 'acknowledgeMessage').properties.messageIds.maxItems).toBe(
      config().maxAcknowledgeIds,
    )
  })

  it("names, on each request field, the codes its validator's checks throw", () => {
    const document = openApiDocument(config())
    const message = bodySchema(document, 'sendMessage').properties.message
    expect(bodySchema(document, 'sendMessage').required).toEqual(['message'])
    expect(message.required).toEqual(['messageBox', 'body'])
    expect(message[ERROR_CODES_KEYWORD]).toEqual(['ERR_MESSAGE_REQUIRED'])
    expect(message.properties.messageBox[ERROR_CODES_KEYWORD]).toEqual(['ERR_INVALID_MESSAGEBOX'])
    expect(message.properties.recipient[ERROR_CODES_KEYWORD]).toEqual([
      'ERR_RECIPIENT_REQUIRED',
      'ERR_TOO_MANY_RECIPIENTS',
      'ERR_INVALID_RECIPIENT_KEY',
      'ERR_DUPLICATE_RECIPIENT',
    ])
    expect(bodySchema(document, 'listMessages').properties.messageBox[ERROR_CODES_KEYWORD]).toEqual([
      'ERR_MESSAGEBOX_REQUIRED',
      'ERR_INVALID_MESSAGEBOX',
    ])
    expect(parameterSchema(document, 'getPermission', 'messageBox')[ERROR_CODES_KEYWORD]).toEqual([
      'ERR_MISSING_PARAMETERS',
      'ERR_INVALID_MESSAGE_BOX',
    ])
  })

  it("each validator module's ordered code list is exactly the codes of its fields", () => {
    const modules: [string, Fields[], readonly string[]][] = [
      [
        'sendMessage',
        [sendMessage.sendMessageFields, sendMessage.sendMessageMessageFields],
        sendMessage.sendMessageErrors,
      ],
      ['listMessages', [listMessages.listMessagesFields], listMessages.listMessagesErrors],
      ['acknowledgeMessage', [acknowledge.acknowledgeMessageFields], acknowledge.acknowledgeMessageErrors],
      ['setPermission', [permissions.setPermissionFields], permissions.setPermissionErrors],
      ['getPermission', [permissions.getPermissionFields], permissions.getPermissionErrors],
      ['listPermissions', [permissions.listPermissionsFields], permissions.listPermissionsErrors],
      ['quote', [permissions.quoteFields], permissions.quoteErrors],
      ['registerDevice', [devices.registerDeviceFields], devices.registerDeviceErrors],
      ['unregisterDevice', [devices.unregisterDeviceFields], devices.unregisterDeviceErrors],
    ]
    for (const [name, fieldSets, ordered] of modules) {
      const ofFields = new Set(
        fieldSets.flatMap((fields) => Object.values(fields).flatMap((f) => Object.values(f.errors))),
      )
      expect(new Set(ordered), name).toEqual(ofFields)
      expect(new Set(ordered).size, name).toBe(ordered.length)
    }
  })

  describe('every documented bound is where the validator draws it', () => {
    const document = openApiDocument(config())
    const schemaOf = (operationId: string) => bodySchema(document, operationId).properties

    /** `accept` passes at `limit` and fails one past it, with the field's documented code. */
    function boundary(field: Schema, limit: number, check: (value: number) => unknown) {
      expect(refusal(() => check(limit))).toBeNull()
      const code = refusal(() => check(limit + Math.sign(limit || 1)))
      expect(field[ERROR_CODES_KEYWORD]).toContain(code)
    }

    it('listMessages: limit and offset', () => {
      const { limit, offset } = schemaOf('listMessages')
      const run = (body: object) =>
        listMessages.listMessagesRequest({ messageBox: 'inbox', ...body }, config())
      boundary(limit, limit.maximum, (value) => run({ limit: value }))
      expect(refusal(() => run({ limit: limit.minimum }))).toBeNull()
      expect(refusal(() => run({ limit: limit.minimum - 1 }))).toBe(limit[ERROR_CODES_KEYWORD][0])
      expect(run({}).limit).toBe(limit.default)
      expect(refusal(() => run({ offset: offset.minimum - 1 }))).toBe(offset[ERROR_CODES_KEYWORD][0])
    })

    it('acknowledgeMessage: ids per request', () => {
      const { messageIds } = schemaOf('acknowledgeMessage')
      boundary(messageIds, messageIds.maxItems, (n) =>
        acknowledge.acknowledgeMessageRequest(
          { messageIds: Array.from({ length: n }, (_, i) => `m${i}`) },
          config(),
        ),
      )
    })

    it('sendMessage: recipients, messageId length and box name', () => {
      const small = readConfig({ ...env, MAX_RECIPIENTS_PER_SEND: '3' })
      const message = bodySchema(openApiDocument(small), 'sendMessage').properties.message.properties
      const recipients = keys(message.recipients.maxItems + 1)
      const send = (fields: object, at = small) =>
        sendMessage.sendMessageRequest(
          { message: { recipient: recipients[0], messageBox: 'inbox', body: 'hi', ...fields } },
          at,
        )
      boundary(message.recipients, message.recipients.maxItems, (n) =>
        send({ recipients: recipients.slice(0, n) }),
      )
      const idLength = message.messageId.anyOf[0].maxLength
      boundary(message.messageId, idLength, (n) => send({ messageId: 'i'.repeat(n) }))
      expect(refusal(() => send({ messageBox: 'b'.repeat(128) }))).toBeNull()
      expect(message.messageBox[ERROR_CODES_KEYWORD]).toContain(
        refusal(() => send({ messageBox: 'b'.repeat(129) })),
      )
      expect(message.messageBox.description).toContain('128')
    })

    it('permissions: fees, page size, quote recipients', () => {
      const { recipientFee } = schemaOf('setPermission')
      const set = (fee: number) =>
        permissions.setPermissionRequest({ messageBox: 'inbox', recipientFee: fee }, config())
      boundary(recipientFee, recipientFee.maximum, set)
      boundary(recipientFee, recipientFee.minimum, set)
      const limit = parameterSchema(document, 'listPermissions', 'limit')
      boundary(limit, limit.maximum, (n) =>
        permissions.listPermissionsQuery(new URLSearchParams({ limit: String(n) }), config()),
      )
      expect(permissions.listPermissionsQuery(new URLSearchParams(), config()).limit).toBe(limit.default)
      const small = readConfig({ ...env, MAX_RECIPIENTS_PER_SEND: '2' })
      const recipient = parameterSchema(openApiDocument(small), 'getQuote', 'recipient')
      const quoted = keys(3)
      boundary(recipient, recipient.maxItems, (n) =>
        permissions.quoteQuery(
          new URLSearchParams([['messageBox', 'inbox'], ...quoted.slice(0, n).map((k) => ['recipient', k])]),
          small,
        ),
      )
    })

    it('registerDevice: deviceId length and platforms', () => {
      const { deviceId, platform } = schemaOf('registerDevice')
      const register = (fields: object) =>
        devices.registerDeviceRequest({ fcmToken: 'token', ...fields }, config())
      boundary(deviceId, deviceId.anyOf[0].maxLength, (n) => register({ deviceId: 'd'.repeat(n) }))
      for (const name of platform.anyOf[0].enum)
        expect(refusal(() => register({ platform: name }))).toBeNull()
      expect(platform[ERROR_CODES_KEYWORD]).toContain(refusal(() => register({ platform: 'symbian' })))
    })

    it('identity keys: the documented pattern is the shape the validator accepts', () => {
      const pattern = new RegExp(
        (schemaOf('sendMessage').message.properties.recipient.anyOf[0] as JsonSchema).pattern as string,
      )
      const key = keys(1)[0]!
      expect(pattern.test(key)).toBe(true)
      expect(pattern.test(key.toUpperCase())).toBe(true)
      expect(pattern.test(key.slice(2))).toBe(false)
    })
  })
})

describe('GET /docs', () => {
  it('is a self-contained HTML page with every operation, its codes and links home and to the document', async () => {
    const res = await SELF.fetch(`${RELAY_ORIGIN}/docs`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    expect(res.headers.get('cache-control')).toBe('public, max-age=300')
    const page = await res.text()
    expect(page).toMatch(/<title>[^<]*API reference[^<]*<\/title>/)
    for (const operation of OPERATIONS) {
      expect(page).toContain(`${operation.method.toUpperCase()} ${operation.path}`)
      expect(page).toContain(`id="${operation.operationId}"`)
    }
    expect(page).toContain('POST /sendMessage')
    for (const code of ALL_ERROR_CODES) expect(page).toContain(`id="${code}"`)
    expect(page).toContain('href="/"')
    expect(page).toContain('href="/openapi.json"')
    // Works offline: no scripts, no stylesheet or image from elsewhere.
    expect(page).not.toMatch(/<script|<link|<img|@import|url\(/i)
    // Text from the document is escaped (descriptions carry quotes and angle brackets).
    expect(page).toContain('&lt;nonce&gt;')
  })
})

describe('GET / links to the reference', () => {
  it('links the API reference, the OpenAPI document and health', async () => {
    const page = await (await SELF.fetch(`${RELAY_ORIGIN}/`)).text()
    expect(page).toContain('href="/docs"')
    expect(page).toContain('href="/openapi.json"')
    expect(page).toContain('href="/health"')
  })
})
