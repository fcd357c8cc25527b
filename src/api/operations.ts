import type { RelayErrorCode } from '../errors'
import { acknowledgeMessageErrors, acknowledgeMessageFields } from '../validation/acknowledge-message'
import {
  registerDeviceErrors,
  registerDeviceFields,
  unregisterDeviceErrors,
  unregisterDeviceFields,
} from '../validation/devices'
import type { Fields, JsonSchema } from '../validation/field'
import { listMessagesErrors, listMessagesFields } from '../validation/list-messages'
import {
  getPermissionErrors,
  getPermissionFields,
  listPermissionsErrors,
  listPermissionsFields,
  quoteErrors,
  quoteFields,
  setPermissionErrors,
  setPermissionFields,
} from '../validation/permissions'
import { sendMessageErrors, sendMessageFields } from '../validation/send-message'
import { JSON_BODY_ERRORS, SEND_PIPELINE_ERRORS } from './error-codes'
import { ref } from './schemas'

/** The groups of the reference, in the order it shows them. */
export const TAGS = {
  Public: 'For people, monitors and tooling; no authentication.',
  Authentication: 'The BRC-103/104 handshake that opens a session for the authenticated routes.',
  Messages: 'BRC-33: send, list and acknowledge messages.',
  Permissions: "The caller's own permission rules and fees, and quotes for sending.",
  Devices: "The caller's FCM registrations for push notifications.",
  'Live delivery': 'socket.io (Engine.IO v4) at `/socket.io/`, authenticated with BRC-103 inside the socket.',
} as const

export type Tag = keyof typeof TAGS

/** A response body: its media type and schema. */
export interface Content {
  type: 'application/json' | 'text/html' | 'text/plain'
  schema: JsonSchema
}

/** A response other than the error envelope. */
export interface ResponseSpec {
  status: number
  description: string
  /** One entry per media type the response may have. */
  content?: Content[]
}

/**
 * One route of the relay. Request schemas are its validator's fields (src/validation/); the error codes are
 * its own (validator's, in check order, then the route's); the document adds the authentication layer's codes
 * to every authenticated operation, the request body's to every POST, and the server's to all.
 */
export interface Operation {
  method: 'get' | 'post'
  path: string
  operationId: string
  tag: Tag
  summary: string
  description: string
  /** BRC-104: the request must be signed in a session, and the response is signed. */
  authenticated: boolean
  /** Query parameters. */
  query?: Fields
  /** The JSON body's top-level fields. */
  body?: Fields
  /** A body its validator's fields do not describe: the handshake's BRC-103 message, Engine.IO payloads. */
  bodyContent?: Content
  /** Success and protocol responses; errors are the envelope, from `errors`. */
  responses: ResponseSpec[]
  errors: readonly RelayErrorCode[]
}

export const json = (schema: JsonSchema): Content => ({ type: 'application/json', schema })
const page: Content = { type: 'text/html', schema: { type: 'string' } }
const text: Content = { type: 'text/plain', schema: { type: 'string' } }
const engineIoError: ResponseSpec = {
  status: 400,
  description: 'An Engine.IO error (`code` as Engine.IO numbers them).',
  content: [json(ref('EngineIoError'))],
}
const ok = (description: string, content: Content): ResponseSpec => ({
  status: 200,
  description,
  content: [content],
})

/** Every route the relay serves, in the order the reference shows them. */
export const OPERATIONS: readonly Operation[] = [
  {
    method: 'get',
    path: '/',
    operationId: 'getLanding',
    tag: 'Public',
    summary: 'Landing page',
    description:
      "A short page for a person who opens the relay's URL: its identity key, version, push status and links.",
    authenticated: false,
    responses: [ok('The page.', page)],
    errors: [],
  },
  {
    method: 'get',
    path: '/health',
    operationId: 'getHealth',
    tag: 'Public',
    summary: 'Health and identity',
    description: "Touches no storage; for monitors and for clients that want the relay's identity key.",
    authenticated: false,
    responses: [ok('The relay is up.', json(ref('Health')))],
    errors: [],
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApiDocument',
    tag: 'Public',
    summary: 'This API as OpenAPI 3.1',
    description: 'Generated from the definitions the relay validates requests with.',
    authenticated: false,
    responses: [
      ok(
        'The document.',
        json({
          type: 'object',
          required: ['openapi', 'info', 'paths'],
          properties: {
            openapi: { type: 'string', pattern: '^3\\.1\\.\\d+$' },
            info: {
              type: 'object',
              required: ['title', 'version'],
              properties: { title: { type: 'string' }, version: { type: 'string' } },
            },
            paths: { type: 'object' },
          },
        }),
      ),
    ],
    errors: [],
  },
  {
    method: 'get',
    path: '/docs',
    operationId: 'getApiReference',
    tag: 'Public',
    summary: 'API reference (HTML)',
    description: 'This document as a page: no scripts, no external assets.',
    authenticated: false,
    responses: [ok('The page.', page)],
    errors: [],
  },
  {
    method: 'post',
    path: '/.well-known/auth',
    operationId: 'authenticate',
    tag: 'Authentication',
    summary: 'BRC-104 handshake',
    description:
      "Opens a session: the client's `initialRequest` is answered by a signed `initialResponse` carrying the relay's session nonce. A `certificateRequest` is answered by an empty, signed `certificateResponse` (the relay requests no certificates); a `certificateResponse` by `{}`. AuthFetch does this by itself before its first request and again when a session expires. Limited per client address (HANDSHAKE_RATE_LIMIT).",
    authenticated: false,
    bodyContent: json(ref('AuthMessage')),
    responses: [
      ok(
        'The answer to the message: an initialResponse, a certificateResponse, or `{}`.',
        json({ oneOf: [ref('InitialResponse'), ref('CertificateResponse'), ref('Acknowledged')] }),
      ),
    ],
    errors: [
      'ERR_RATE_LIMITED',
      ...JSON_BODY_ERRORS,
      'ERR_INVALID_HANDSHAKE',
      'ERR_SESSION_NOT_FOUND',
      'ERR_AUTH_FAILED',
      'ERR_REPLAYED_REQUEST',
      'ERR_STORAGE_UNAVAILABLE',
    ],
  },
  {
    method: 'post',
    path: '/sendMessage',
    operationId: 'sendMessage',
    tag: 'Messages',
    summary: 'Send a message to one or more recipients',
    description:
      "Stores the body for every recipient or for none; 200 means committed (and it will be listed). A repeat of the same send (same sender, recipients, box and ids) is idempotent: 200, stored once, `duplicate: true`. The recipients' permission rules and the relay's fees apply: a blocked sender gets 403, a send that owes fees needs a `payment`. New messages are pushed to the recipients' live connections and, for PUSH_BOXES, to their devices.",
    authenticated: true,
    body: sendMessageFields,
    responses: [ok('Stored for every recipient.', json(ref('SendMessageResult')))],
    errors: [...JSON_BODY_ERRORS, ...sendMessageErrors, ...SEND_PIPELINE_ERRORS],
  },
  {
    method: 'post',
    path: '/listMessages',
    operationId: 'listMessages',
    tag: 'Messages',
    summary: "List the caller's messages in one box",
    description:
      "One page of the caller's unexpired messages in `messageBox`, oldest first. A box never used is an empty list. Both timestamp spellings are sent (camelCase and snake_case).",
    authenticated: true,
    body: listMessagesFields,
    responses: [ok('A page of messages.', json(ref('ListMessagesResult')))],
    errors: [...JSON_BODY_ERRORS, ...listMessagesErrors],
  },
  {
    method: 'post',
    path: '/listMessageBoxes',
    operationId: 'listMessageBoxes',
    tag: 'Messages',
    summary: "List the caller's boxes that hold messages",
    description:
      'Every box holding unexpired messages for the caller, sorted by name, with counts and sizes. Send `{}`: fields are ignored.',
    authenticated: true,
    bodyContent: json({ description: 'Any JSON value (`{}` is usual); it is ignored.' }),
    responses: [ok('The boxes.', json(ref('ListMessageBoxesResult')))],
    errors: [...JSON_BODY_ERRORS],
  },
  {
    method: 'post',
    path: '/acknowledgeMessage',
    operationId: 'acknowledgeMessage',
    tag: 'Messages',
    summary: "Delete the caller's messages by id",
    description:
      "Deletes the caller's messages with these ids, in any of its boxes; an acknowledged message is never listed again. 400 ERR_INVALID_ACKNOWLEDGMENT when none of them was waiting.",
    authenticated: true,
    body: acknowledgeMessageFields,
    responses: [ok('How many were deleted.', json(ref('AcknowledgeResult')))],
    errors: [...JSON_BODY_ERRORS, ...acknowledgeMessageErrors, 'ERR_INVALID_ACKNOWLEDGMENT'],
  },
  {
    method: 'post',
    path: '/permissions/set',
    operationId: 'setPermission',
    tag: 'Permissions',
    summary: 'Set a permission rule',
    description:
      "Creates or updates the caller's rule for a box, for one sender or box-wide (no `sender`). Which rule applies to a send: the sender's rule, else the box-wide rule, else the relay's default for the box (DEFAULT_RECIPIENT_FEES), else 0.",
    authenticated: true,
    body: setPermissionFields,
    responses: [ok('The rule is set.', json(ref('SetPermissionResult')))],
    errors: [...JSON_BODY_ERRORS, ...setPermissionErrors],
  },
  {
    method: 'get',
    path: '/permissions/get',
    operationId: 'getPermission',
    tag: 'Permissions',
    summary: 'Read one permission rule',
    description:
      "The caller's exact rule for the box and sender (box-wide without `sender`), or null: no fallback.",
    authenticated: true,
    query: getPermissionFields,
    responses: [ok('The rule, or null.', json(ref('GetPermissionResult')))],
    errors: [...getPermissionErrors],
  },
  {
    method: 'get',
    path: '/permissions/list',
    operationId: 'listPermissions',
    tag: 'Permissions',
    summary: "List the caller's permission rules",
    description:
      'By box name, the box-wide rule first, then by sender; each row in both spellings (camelCase and snake_case).',
    authenticated: true,
    query: listPermissionsFields,
    responses: [ok('A page of rules and the total.', json(ref('ListPermissionsResult')))],
    errors: [...listPermissionsErrors],
  },
  {
    method: 'get',
    path: '/permissions/quote',
    operationId: 'getQuote',
    tag: 'Permissions',
    summary: 'What a send would cost',
    description:
      'The fees a send from the caller into the box would owe, by the rules the send is admitted by (nothing is stored). One recipient: `quote`; several: per-recipient quotes, totals over the payable ones (the delivery fee once per send) and the blocked recipients.',
    authenticated: true,
    query: quoteFields,
    responses: [ok('The quote.', json({ oneOf: [ref('Quote'), ref('QuoteBatch')] }))],
    errors: [...quoteErrors],
  },
  {
    method: 'post',
    path: '/registerDevice',
    operationId: 'registerDevice',
    tag: 'Devices',
    summary: 'Register a device for push notifications',
    description:
      "Registers (or updates and reactivates) the caller's FCM token. Unique per caller and token; beyond MAX_DEVICES_PER_IDENTITY the least recently updated registration is replaced.",
    authenticated: true,
    body: registerDeviceFields,
    responses: [ok('Registered.', json(ref('RegisterDeviceResult')))],
    errors: [...JSON_BODY_ERRORS, ...registerDeviceErrors],
  },
  {
    method: 'get',
    path: '/devices',
    operationId: 'listDevices',
    tag: 'Devices',
    summary: "List the caller's devices",
    description: 'Newest update first; tokens are masked.',
    authenticated: true,
    responses: [ok('The devices.', json(ref('DevicesResult')))],
    errors: [],
  },
  {
    method: 'post',
    path: '/unregisterDevice',
    operationId: 'unregisterDevice',
    tag: 'Devices',
    summary: 'Unregister a device',
    description: "Removes the caller's registration of this token; 200 whether or not it was registered.",
    authenticated: true,
    body: unregisterDeviceFields,
    responses: [ok('Unregistered.', json(ref('UnregisterDeviceResult')))],
    errors: [...JSON_BODY_ERRORS, ...unregisterDeviceErrors],
  },
  {
    method: 'get',
    path: '/socket.io/',
    operationId: 'liveOpen',
    tag: 'Live delivery',
    summary: 'Live delivery: open, poll or upgrade',
    description:
      'Engine.IO v4 as socket.io clients speak it: without `sid`, opens a connection (answers the open packet); with `sid`, a long-polling GET, or the WebSocket upgrade (101). Inside, the client authenticates with BRC-103 (`authMessage` events) and then uses the events `authenticated`, `joinRoom`, `leaveRoom`, `sendMessage`; pushes arrive as `sendMessage-<key>-<box>`. A socket `sendMessage` runs the same pipeline as POST /sendMessage and is acknowledged with the same codes. Use message-box-client or @bsv/authsocket-client; this is not a JSON API. New connections count against HANDSHAKE_RATE_LIMIT.',
    authenticated: false,
    query: {
      EIO: { required: true, schema: { type: 'string', const: '4' }, errors: {} },
      transport: { required: true, schema: { type: 'string', enum: ['polling', 'websocket'] }, errors: {} },
      sid: { schema: { type: 'string', description: 'The connection id from the open packet.' }, errors: {} },
    },
    responses: [
      ok('Engine.IO packets (the open packet, or what waited for the client).', text),
      { status: 101, description: 'WebSocket upgrade (`transport=websocket` with `Upgrade: websocket`).' },
      engineIoError,
    ],
    errors: ['ERR_RATE_LIMITED'],
  },
  {
    method: 'post',
    path: '/socket.io/',
    operationId: 'liveSend',
    tag: 'Live delivery',
    summary: 'Live delivery: send packets (long-polling)',
    description:
      'Engine.IO v4 packets from a long-polling client, record-separator joined; bounded by LIVE_MAX_FRAME_BYTES (over it: 413 and the connection ends).',
    authenticated: false,
    query: {
      EIO: { required: true, schema: { type: 'string', const: '4' }, errors: {} },
      transport: { required: true, schema: { type: 'string', const: 'polling' }, errors: {} },
      sid: { required: true, schema: { type: 'string', description: 'The connection id.' }, errors: {} },
    },
    bodyContent: { type: 'text/plain', schema: { type: 'string', description: 'Engine.IO packets.' } },
    responses: [
      ok('Taken: `ok`.', { type: 'text/plain', schema: { const: 'ok' } }),
      {
        ...engineIoError,
        description: `${engineIoError.description} Text \`bad request\` when the body could not be read.`,
        content: [...engineIoError.content!, text],
      },
      { status: 413, description: 'Over LIVE_MAX_FRAME_BYTES; the connection is over.', content: [text] },
    ],
    errors: [],
  },
]
