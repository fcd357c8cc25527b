import { SERVER_NONCE_BYTES } from '../brc103/server-nonce'
import { AUTH_VERSION } from '../brc103/wire'
import { FEE_STATUSES } from '../permissions/fees'
import { PLATFORMS } from '../validation/devices'
import type { JsonSchema } from '../validation/field'
import { canonicalKeySchema, identityKeySchema } from '../validation/identity-key'
import { MAX_LIST_LIMIT } from '../validation/list-messages'
import { recipientFeeSchema } from '../validation/permissions'
import { messageBoxSchema } from '../validation/text'
import { ALL_ERROR_CODES } from './error-codes'

/**
 * The response bodies of the API document (`components.schemas`), as JSON Schema 2020-12. Request schemas
 * are not here: they come from the validators' fields (src/validation/). Success bodies are closed
 * (`additionalProperties: false`), so a field a route adds without documenting it fails the end-to-end test.
 */

const success = { const: 'success' }
const timestamp = { type: 'string', format: 'date-time' }
const count = { type: 'integer', minimum: 0 }
const satoshis = { type: 'integer', minimum: 0 }
/** A closed object with every property required unless listed in `optional`. */
function closed(properties: Record<string, JsonSchema>, optional: string[] = []): JsonSchema {
  return {
    type: 'object',
    required: Object.keys(properties).filter((name) => !optional.includes(name)),
    properties,
    additionalProperties: false,
  }
}

/** The pattern of canonical (padded) base64 of exactly `bytes` bytes. */
function base64Of(bytes: number): JsonSchema {
  const padding = (3 - (bytes % 3)) % 3
  const chars = 4 * Math.ceil(bytes / 3) - padding
  return {
    type: 'string',
    pattern: `^[A-Za-z0-9+/]{${chars}}${'='.repeat(padding)}$`,
    description: `Base64 of ${bytes} bytes.`,
  }
}

const signatureBytes = {
  type: 'array',
  items: { type: 'integer', minimum: 0, maximum: 255 },
  description: 'A DER ECDSA signature, as bytes.',
}

const permissionRule = {
  sender: { anyOf: [canonicalKeySchema, { type: 'null' }], description: 'null: the box-wide rule.' },
  messageBox: messageBoxSchema,
  recipientFee: recipientFeeSchema,
  status: { type: 'string', enum: FEE_STATUSES },
  createdAt: timestamp,
  updatedAt: timestamp,
}

const quoteEntry = closed({
  recipient: { ...identityKeySchema, description: 'As the request gave it.' },
  messageBox: messageBoxSchema,
  deliveryFee: satoshis,
  recipientFee: recipientFeeSchema,
  status: { type: 'string', enum: FEE_STATUSES },
})

/** Every named schema of the document. */
export const componentSchemas = {
  Error: {
    ...closed(
      {
        status: { const: 'error' },
        code: { type: 'string', enum: ALL_ERROR_CODES },
        description: { type: 'string' },
        requestId: {
          type: 'string',
          pattern: '^[0-9a-f]{16}$',
          description:
            "This request's id, also in the `x-request-id` header and the relay's log line (absent on a rate limit's 429).",
        },
        message: {
          type: 'string',
          description: 'UNAUTHORIZED only: the same text, as the reference server names it.',
        },
        limit: { type: 'integer', minimum: 0, description: 'The limit that was hit (413, 429).' },
        retryAfter: {
          type: 'integer',
          minimum: 0,
          description:
            'Seconds to wait (429 ERR_RATE_LIMITED; also `Retry-After`, and `x-bsv-retry-after` signed when the answer is).',
        },
        resource: {
          type: 'string',
          enum: ['messages', 'bytes'],
          description: 'Which quota (ERR_*_QUOTA_EXCEEDED).',
        },
        recipient: { ...canonicalKeySchema, description: 'The recipient whose quota was hit.' },
        scope: {
          type: 'string',
          enum: ['network', 'strangers'],
          description:
            "Whose share was full: the sender's client network's (ERR_SENDER_QUOTA_EXCEEDED), or all senders the recipient has not allowed (ERR_INBOX_QUOTA_EXCEEDED).",
        },
        blockedRecipients: {
          type: 'array',
          items: identityKeySchema,
          description: 'ERR_DELIVERY_BLOCKED: the recipients that block the sender.',
        },
      },
      ['requestId', 'message', 'limit', 'retryAfter', 'resource', 'recipient', 'scope', 'blockedRecipients'],
    ),
    description:
      'The error envelope of every route: `{status: "error", code, description}` and the details of some codes.',
  },
  Health: closed({
    status: { const: 'ok' },
    identityKey: { ...canonicalKeySchema, description: "The relay's identity key." },
    version: { type: 'string' },
    push: { type: 'string', enum: ['on', 'off'], description: 'Whether FCM credentials are configured.' },
    storage: {
      type: 'string',
      enum: ['ok', 'pressure'],
      description:
        'pressure: the database is above STORAGE_PRESSURE of its limit (as this relay last saw it); senders holding more than PRESSURE_SENDER_BYTES waiting pay PRESSURE_DELIVERY_FEE or get 507.',
    },
  }),
  SendMessageResult: closed(
    {
      status: success,
      message: { type: 'string' },
      results: {
        type: 'array',
        minItems: 1,
        items: closed(
          {
            recipient: canonicalKeySchema,
            messageId: { type: 'string' },
            duplicate: {
              const: true,
              description: 'Present when this message was already stored (an idempotent repeat).',
            },
          },
          ['duplicate'],
        ),
      },
      messageId: { type: 'string', description: 'Single-recipient sends only.' },
    },
    ['messageId'],
  ),
  ListMessagesResult: closed({
    status: success,
    messages: {
      type: 'array',
      items: closed({
        messageId: { type: 'string' },
        body: {
          type: 'string',
          description: 'As stored: a string as sent, an object as its JSON, a paid send as its wrapper.',
        },
        sender: canonicalKeySchema,
        createdAt: timestamp,
        updatedAt: timestamp,
        created_at: timestamp,
        updated_at: timestamp,
      }),
    },
    limit: { type: 'integer', minimum: 1, maximum: MAX_LIST_LIMIT },
    offset: count,
    hasMore: { type: 'boolean' },
    nextOffset: {
      type: ['integer', 'null'],
      minimum: 0,
      description: 'The offset of the next page; null on the last.',
    },
  }),
  ListMessageBoxesResult: closed({
    status: success,
    messageBoxes: {
      type: 'array',
      items: closed({
        messageBox: messageBoxSchema,
        count: { type: 'integer', minimum: 1 },
        bytes: { ...count, description: 'UTF-8 bytes of the stored bodies.' },
      }),
    },
  }),
  AcknowledgeResult: closed({ status: success, acknowledged: { type: 'integer', minimum: 1 } }),
  PermissionRule: closed(permissionRule),
  SetPermissionResult: closed({ status: success, description: { type: 'string' } }),
  GetPermissionResult: closed({
    status: success,
    description: { type: 'string' },
    permission: { anyOf: [{ $ref: '#/components/schemas/PermissionRule' }, { type: 'null' }] },
  }),
  ListPermissionsResult: closed({
    status: success,
    permissions: {
      type: 'array',
      items: closed({
        ...permissionRule,
        message_box: messageBoxSchema,
        recipient_fee: recipientFeeSchema,
        created_at: timestamp,
        updated_at: timestamp,
      }),
    },
    totalCount: count,
  }),
  Quote: closed({
    status: success,
    description: { type: 'string' },
    quote: closed({ deliveryFee: satoshis, recipientFee: recipientFeeSchema }),
  }),
  QuoteBatch: closed({
    status: success,
    description: { type: 'string' },
    quotesByRecipient: { type: 'array', items: quoteEntry },
    totals: closed({ deliveryFees: satoshis, recipientFees: satoshis, totalForPayableRecipients: satoshis }),
    blockedRecipients: { type: 'array', items: identityKeySchema },
  }),
  RegisterDeviceResult: closed({
    status: success,
    message: { type: 'string' },
    deviceId: {
      type: 'integer',
      minimum: 1,
      description: "The registration's id: the same for the same caller and token.",
    },
  }),
  DevicesResult: closed({
    status: success,
    devices: {
      type: 'array',
      items: closed({
        id: { type: 'integer', minimum: 1 },
        deviceId: { type: ['string', 'null'] },
        platform: { anyOf: [{ type: 'string', enum: PLATFORMS }, { type: 'null' }] },
        fcmToken: {
          type: 'string',
          pattern: '^\\.\\.\\.',
          description: "`...` and the token's last 10 characters.",
        },
        active: { type: 'boolean' },
        createdAt: timestamp,
        updatedAt: timestamp,
        lastUsed: { anyOf: [timestamp, { type: 'null' }] },
      }),
    },
  }),
  UnregisterDeviceResult: closed({ status: success, message: { type: 'string' } }),
  AuthMessage: {
    type: 'object',
    required: ['version', 'messageType', 'identityKey'],
    properties: {
      version: { const: AUTH_VERSION },
      messageType: { type: 'string', enum: ['initialRequest', 'certificateRequest', 'certificateResponse'] },
      identityKey: { type: 'string', description: "The client's compressed public key in hex." },
      initialNonce: {
        ...base64Of(SERVER_NONCE_BYTES),
        description: "initialRequest: the client's session nonce.",
      },
      nonce: { type: 'string', description: 'certificateRequest: a fresh nonce (base64 of 32 bytes).' },
      yourNonce: { type: 'string', description: "certificateRequest: the relay's session nonce." },
      requestedCertificates: { type: 'object' },
      certificates: { type: 'array' },
      signature: signatureBytes,
    },
    description: 'A BRC-103 message, as `Peer` (inside AuthFetch) sends it.',
  },
  InitialResponse: closed({
    version: { const: AUTH_VERSION },
    messageType: { const: 'initialResponse' },
    identityKey: { ...canonicalKeySchema, description: "The relay's identity key." },
    initialNonce: {
      ...base64Of(SERVER_NONCE_BYTES),
      description: "The relay's session nonce (the client's `your-nonce`).",
    },
    yourNonce: { type: 'string', description: "The client's initialNonce." },
    requestedCertificates: closed({
      certifiers: { type: 'array', maxItems: 0 },
      types: { type: 'object', maxProperties: 0 },
    }),
    signature: signatureBytes,
  }),
  CertificateResponse: closed({
    version: { const: AUTH_VERSION },
    messageType: { const: 'certificateResponse' },
    identityKey: canonicalKeySchema,
    nonce: { type: 'string' },
    initialNonce: { type: 'string' },
    yourNonce: { type: 'string' },
    certificates: { type: 'array', maxItems: 0 },
    signature: signatureBytes,
  }),
  Acknowledged: { ...closed({}), description: 'The empty answer to a certificateResponse.' },
  EngineIoError: closed({
    code: { type: 'integer', minimum: 0, maximum: 5 },
    message: { type: 'string' },
  }),
} satisfies Record<string, JsonSchema>

export type ComponentName = keyof typeof componentSchemas

/** A reference to a named schema. */
export function ref(name: ComponentName): JsonSchema {
  return { $ref: `#/components/schemas/${name}` }
}
