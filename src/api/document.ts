import pkg from '../../package.json'
import type { Config } from '../config'
import { type RelayErrorCode, statusFor } from '../errors'
import { AUTH_VERSION } from '../brc103/wire'
import { fieldSchema, type JsonSchema, objectSchema } from '../validation/field'
import { AUTHENTICATION_ERRORS, REQUEST_BODY_ERRORS, SERVER_ERRORS } from './error-codes'
import { type Content, json, type Operation, OPERATIONS, type ResponseSpec, TAGS } from './operations'
import { componentSchemas, ref } from './schemas'

export interface ParameterObject {
  name: string
  in: 'query'
  required: boolean
  description?: string
  schema: JsonSchema
}

export type MediaTypes = Record<string, { schema: JsonSchema }>

export interface ResponseObject {
  description: string
  content?: MediaTypes
}

export interface OperationObject {
  operationId: string
  summary: string
  description: string
  tags: string[]
  /** `[]`: public; otherwise the BRC-104 scheme. */
  security: Record<string, string[]>[]
  parameters?: ParameterObject[]
  requestBody?: { required: boolean; content: MediaTypes }
  responses: Record<string, ResponseObject>
  /** Every error code the operation may answer, in the order the relay checks. */
  'x-error-codes': RelayErrorCode[]
}

export type Method = 'get' | 'post'

/** The OpenAPI 3.1 document the relay serves (only the parts it uses). */
export interface OpenApiDocument {
  openapi: string
  info: { title: string; version: string; summary: string; description: string }
  tags: { name: string; description: string }[]
  paths: Record<string, Partial<Record<Method, OperationObject>>>
  components: {
    schemas: Record<string, JsonSchema>
    securitySchemes: Record<string, { type: 'apiKey'; in: 'header'; name: string; description: string }>
  }
}

/** The security scheme's name in the document. */
export const SECURITY_SCHEME = 'BRC104'

let memo: { key: string; document: OpenApiDocument } | undefined

/**
 * The relay's OpenAPI 3.1 document for `config` (limits shown are this relay's), built from the route table
 * (./operations.ts) and the validators' fields. Built once per isolate: configuration does not change while
 * an isolate lives, and a different one (tests) rebuilds.
 */
export function openApiDocument(config: Config): OpenApiDocument {
  const key = JSON.stringify(config)
  if (memo?.key !== key) memo = { key, document: buildDocument(config) }
  return memo.document
}

function buildDocument(config: Config): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {}
  for (const operation of OPERATIONS) {
    paths[operation.path] = {
      ...paths[operation.path],
      [operation.method]: operationObject(operation, config),
    }
  }
  return {
    openapi: '3.1.1',
    info: {
      title: 'BRC-33 message relay',
      version: pkg.version,
      summary: 'A BRC-33 message relay with BRC-103/104 mutual authentication.',
      description: describeApi(config),
    },
    tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
    paths,
    components: {
      schemas: componentSchemas,
      securitySchemes: {
        [SECURITY_SCHEME]: {
          type: 'apiKey',
          in: 'header',
          name: 'x-bsv-auth-identity-key',
          description: SCHEME_DESCRIPTION,
        },
      },
    },
  }
}

/**
 * Every code `operation` may answer: the request body's layer (POST), authentication's (authenticated
 * routes), the operation's own in check order, then the server's; each once.
 */
export function errorCodesOf(operation: Operation): RelayErrorCode[] {
  const live = operation.tag === 'Live delivery'
  return [
    ...new Set([
      ...(operation.method === 'post' && !live ? REQUEST_BODY_ERRORS : []),
      ...(operation.authenticated ? AUTHENTICATION_ERRORS : []),
      ...operation.errors,
      ...SERVER_ERRORS,
    ]),
  ]
}

function operationObject(operation: Operation, config: Config): OperationObject {
  const codes = errorCodesOf(operation)
  const object: OperationObject = {
    operationId: operation.operationId,
    summary: operation.summary,
    description: operation.description,
    tags: [operation.tag],
    security: operation.authenticated ? [{ [SECURITY_SCHEME]: [] }] : [],
    responses: responsesOf(operation.responses, codes),
    'x-error-codes': codes,
  }
  if (operation.query) {
    object.parameters = Object.entries(operation.query).map(([name, field]) => {
      const { description, ...schema } = fieldSchema(field, config)
      return {
        name,
        in: 'query',
        required: field.required === true,
        ...(typeof description === 'string' ? { description } : {}),
        schema,
      }
    })
  }
  const body = operation.body ? json(objectSchema(operation.body, config)) : operation.bodyContent
  if (body) object.requestBody = { required: true, content: mediaTypes([body]) }
  return object
}

/** The operation's own responses, then one per status of its error codes (the envelope, `code` narrowed). */
function responsesOf(specs: ResponseSpec[], codes: RelayErrorCode[]): Record<string, ResponseObject> {
  const responses: Record<string, ResponseObject> = {}
  for (const spec of specs) {
    responses[spec.status] = {
      description: spec.description,
      ...(spec.content ? { content: mediaTypes(spec.content) } : {}),
    }
  }
  const byStatus = new Map<number, RelayErrorCode[]>()
  for (const code of codes) byStatus.set(statusFor(code), [...(byStatus.get(statusFor(code)) ?? []), code])
  for (const [status, group] of byStatus) {
    const envelope: JsonSchema = {
      allOf: [ref('Error'), { type: 'object', properties: { code: { enum: group } } }],
    }
    const existing = responses[status]
    const existingJson = existing?.content?.['application/json']?.schema
    responses[status] = {
      description: existing
        ? `${existing.description} Or an error: ${group.join(', ')}.`
        : `Error: ${group.join(', ')}.`,
      content: {
        ...existing?.content,
        'application/json': { schema: existingJson ? { anyOf: [existingJson, envelope] } : envelope },
      },
    }
  }
  return Object.fromEntries(Object.entries(responses).sort(([a], [b]) => Number(a) - Number(b)))
}

function mediaTypes(contents: Content[]): MediaTypes {
  return Object.fromEntries(contents.map(({ type, schema }) => [type, { schema }]))
}

const SCHEME_DESCRIPTION = `BRC-104 mutual authentication (BRC-103 over HTTP). OpenAPI has no scheme type for signed requests: this one names the header that carries the caller's identity key, but a request needs all of the headers below and a valid signature. Use \`AuthFetch\` from @bsv/sdk (or @bsv/message-box-client, built on it), which does all of this and verifies every response.

1. Handshake: POST /.well-known/auth with an \`initialRequest\` (\`{"version":"${AUTH_VERSION}","messageType":"initialRequest","identityKey","initialNonce"}\`). The relay answers a signed \`initialResponse\` whose \`initialNonce\` is its session nonce.

2. Every request then carries \`x-bsv-auth-version\` (${AUTH_VERSION}), \`x-bsv-auth-identity-key\` (the caller's compressed public key), \`x-bsv-auth-nonce\` (a fresh 32-byte nonce, base64), \`x-bsv-auth-your-nonce\` (the relay's session nonce), \`x-bsv-auth-request-id\` (32 random bytes, base64) and \`x-bsv-auth-signature\` (hex DER, with a BRC-42 key for keyID "<nonce> <session nonce>") over the request id, method, path, query, the signed headers (\`content-type\`, \`authorization\`, other \`x-bsv-*\`) and the body. A nonce is accepted once.

3. Every response of an authenticated route is signed the same way, errors included, with the same six headers (\`x-bsv-auth-your-nonce\` is then the client's session nonce); the client must verify it. Failures of authentication itself are unsigned (401, or 400 for malformed headers); \`ERR_SESSION_NOT_FOUND\` ("Session not found for nonce") makes AuthFetch handshake again by itself.`

/** The document's introduction, with this relay's limits. */
function describeApi(config: Config): string {
  const ttl =
    config.messageTtlMs === 0 ? 'never expire' : `expire after ${config.messageTtlMs / 86_400_000} days`
  const rate = (limit: number) => (limit === 0 ? 'off' : `${limit} a minute`)
  return `A [BRC-33](https://github.com/bitcoin-sv/BRCs/blob/master/peer-to-peer/0033.md) message relay: senders leave messages in a recipient's message boxes; recipients list and acknowledge them. Apps use \`@bsv/message-box-client\` or \`AuthFetch\` from \`@bsv/sdk\` with this relay's URL as the host.

**Authentication.** Every route but the public ones, the handshake and live delivery needs BRC-104 (the ${SECURITY_SCHEME} scheme): requests and responses are signed.

**Errors.** Every error is a JSON envelope \`{"status":"error","code","description"}\` (with \`requestId\`, and details for some codes) whose HTTP status follows from its code; each operation lists the codes it may answer, by status. An unknown path is 404 \`ERR_NOT_FOUND\`. An authenticated route's errors are signed; authentication's own are not.

**This relay's limits.** Request body ${config.maxRequestBodyBytes} bytes; message body ${config.maxMessageBodyBytes} UTF-8 bytes; ${config.maxRecipientsPerSend} recipients per send; ${config.maxAcknowledgeIds} ids per acknowledgement; ${config.inboxQuota} messages and ${config.inboxBytesQuota} bytes waiting per recipient; ${config.senderPerRecipientQuota} messages waiting from one sender for one recipient; messages ${ttl}; authenticated requests per identity: ${rate(config.requestRateLimit)}; handshakes per address: ${rate(config.handshakeRateLimit)}.`
}
