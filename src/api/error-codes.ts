import type { RelayErrorCode } from '../errors'

/**
 * Every code of `RelayErrorCode`, with where a client meets it. Keyed by the union itself, so the compiler
 * refuses a code missing here or one errors.ts does not have.
 */
const WHERE: Record<RelayErrorCode, string> = {
  UNAUTHORIZED: 'authentication: no BRC-104 headers on an authenticated route',
  ERR_MALFORMED_AUTH_HEADERS: 'authentication: an x-bsv-auth-* header of the wrong shape',
  ERR_AUTH_FAILED: 'authentication: the signature does not verify',
  ERR_SESSION_NOT_FOUND: 'authentication: unknown or expired session (AuthFetch handshakes again by itself)',
  ERR_REPLAYED_REQUEST: 'authentication: a request nonce used before in this session',
  ERR_INVALID_HANDSHAKE: 'handshake: a malformed BRC-103 message',
  ERR_UNSUPPORTED_AUTH_VERSION: 'authentication: x-bsv-auth-version is not 0.1',
  ERR_INVALID_JSON: 'request: the body is not JSON (or not UTF-8)',
  ERR_REQUEST_TOO_LARGE: 'request: the body is over MAX_REQUEST_BODY_BYTES',
  ERR_NOT_FOUND: 'request: no route for this method and path',
  ERR_METHOD_NOT_ALLOWED: 'request: a method the route does not serve (`Allow` lists those it does)',
  ERR_MESSAGE_REQUIRED: 'sendMessage: no `message`',
  ERR_INVALID_MESSAGEBOX: 'sendMessage, listMessages: a `messageBox` that is not a valid name',
  ERR_INVALID_MESSAGE_BODY: 'sendMessage: `body` is neither a non-blank string nor an object',
  ERR_RECIPIENT_REQUIRED: 'sendMessage: no recipient',
  ERR_TOO_MANY_RECIPIENTS: 'sendMessage, quote: more recipients than MAX_RECIPIENTS_PER_SEND',
  ERR_MESSAGEID_COUNT_MISMATCH: 'sendMessage: not one messageId per recipient',
  ERR_INVALID_MESSAGEID: 'sendMessage: a messageId that is not a valid id',
  ERR_INVALID_RECIPIENT_KEY: 'sendMessage: a recipient that is not a valid public key',
  ERR_DUPLICATE_RECIPIENT: 'sendMessage: the same recipient twice',
  ERR_MESSAGE_BODY_TOO_LARGE: 'sendMessage: the body (or the stored form with its payment) is too large',
  ERR_DUPLICATE_MESSAGE:
    'sendMessage: the id is already waiting for that recipient from another sender or box',
  ERR_INBOX_QUOTA_EXCEEDED: "sendMessage: the recipient's waiting messages or bytes are at the quota",
  ERR_SENDER_QUOTA_EXCEEDED: "sendMessage: the sender's waiting messages or bytes are at the quota",
  ERR_RATE_LIMITED:
    'too many handshakes from this address, or requests from this identity over HTTP and its sockets together (Retry-After)',
  ERR_STORAGE_FULL: 'sendMessage: the database is nearly full',
  ERR_REQUEST_ABORTED: 'request: the body stopped arriving',
  ERR_MESSAGEBOX_REQUIRED: 'listMessages: no `messageBox`',
  ERR_INVALID_LIMIT: 'listMessages, permissions/list: `limit` out of range',
  ERR_INVALID_OFFSET: 'listMessages, permissions/list: `offset` (or `skip`) not an integer >= 0',
  ERR_MESSAGE_ID_REQUIRED: 'acknowledgeMessage: no `messageIds`',
  ERR_INVALID_MESSAGE_ID: 'acknowledgeMessage: an id that is neither a string nor a non-negative integer',
  ERR_TOO_MANY_MESSAGE_IDS: 'acknowledgeMessage: more ids than MAX_ACKNOWLEDGE_IDS',
  ERR_INVALID_ACKNOWLEDGMENT: 'acknowledgeMessage: none of the ids is waiting for the caller',
  ERR_INVALID_REQUEST: 'permissions: a required field missing, or a bad `createdAtOrder`',
  ERR_INVALID_FEE_VALUE: 'permissions/set: `recipientFee` out of range',
  ERR_INVALID_PUBLIC_KEY: 'permissions: a sender or recipient that is not a valid public key',
  ERR_INVALID_MESSAGE_BOX: 'permissions: a `messageBox` that is not a valid name',
  ERR_MISSING_PARAMETERS: 'permissions/get, permissions/quote: a required query parameter missing',
  ERR_DELIVERY_BLOCKED: 'sendMessage: a recipient blocks the sender (`blockedRecipients`)',
  ERR_MISSING_PAYMENT_TX: 'sendMessage: the send owes fees and has no `payment`',
  ERR_INVALID_PAYMENT: 'sendMessage: the payment does not parse or verify',
  ERR_INSUFFICIENT_PAYMENT: "sendMessage: output 0 does not pay the relay's delivery fee",
  ERR_MISSING_RECIPIENT_OUTPUTS: "sendMessage: a payable recipient's fee is not paid",
  ERR_PAYMENT_REPLAYED: 'sendMessage: the transaction already paid for another send',
  ERR_PAYMENT_DOUBLE_SPENT:
    'sendMessage: the payment spends a coin an earlier payment spent, or the network reports a double spend',
  ERR_PAYMENT_UNAVAILABLE: 'sendMessage: the chain tracker or the broadcaster (ARC) cannot be reached',
  ERR_INVALID_FCM_TOKEN: 'devices: `fcmToken` missing or invalid',
  ERR_INVALID_PLATFORM: 'registerDevice: `platform` not ios, android or web',
  ERR_INVALID_DEVICE_ID: 'registerDevice: `deviceId` too long',
  ERR_NOT_AUTHENTICATED: 'live delivery (socket acknowledgement): an event before `authenticated`',
  ERR_INVALID_ROOM: 'live delivery (socket acknowledgement): a malformed room id',
  ERR_SERVER_MISCONFIGURED: 'the server: a configuration value or secret is invalid',
  ERR_STORAGE_UNAVAILABLE: 'the server: storage failed; nothing was changed, try again',
  ERR_INTERNAL: 'the server: an unexpected error',
}

/** Every error code the relay sends, in errors.ts's order. */
export const ALL_ERROR_CODES = Object.keys(WHERE) as RelayErrorCode[]

/** Where a client meets `code`, in a few words. */
export function whereCodeArises(code: RelayErrorCode): string {
  return WHERE[code]
}

/**
 * What BRC-104 can refuse before any authenticated route runs (src/middleware/brc104-auth/): answered
 * unsigned (401/400/503), except the rate limit's 429, which is signed.
 */
export const AUTHENTICATION_ERRORS = [
  'UNAUTHORIZED',
  'ERR_UNSUPPORTED_AUTH_VERSION',
  'ERR_MALFORMED_AUTH_HEADERS',
  'ERR_SESSION_NOT_FOUND',
  'ERR_AUTH_FAILED',
  'ERR_REPLAYED_REQUEST',
  'ERR_RATE_LIMITED',
  'ERR_STORAGE_UNAVAILABLE',
] as const satisfies readonly RelayErrorCode[]

/** What reading a request's body can refuse on every route after live delivery's (src/middleware/raw-body.ts). */
export const REQUEST_BODY_ERRORS = [
  'ERR_REQUEST_TOO_LARGE',
  'ERR_REQUEST_ABORTED',
] as const satisfies readonly RelayErrorCode[]

/** A route that parses its body as JSON (src/http/json-body.ts). */
export const JSON_BODY_ERRORS = ['ERR_INVALID_JSON'] as const satisfies readonly RelayErrorCode[]

/** What any route can answer when the server itself is at fault. */
export const SERVER_ERRORS = [
  'ERR_SERVER_MISCONFIGURED',
  'ERR_INTERNAL',
] as const satisfies readonly RelayErrorCode[]

/**
 * What the send pipeline (src/delivery/send-pipeline.ts) refuses after the request validated, in the
 * contract's order: admission (10a–10b), the payment (10c), the stored-row cap, then storage's checks (11–12).
 */
export const SEND_PIPELINE_ERRORS = [
  'ERR_DELIVERY_BLOCKED',
  'ERR_MISSING_PAYMENT_TX',
  'ERR_INVALID_PAYMENT',
  'ERR_INSUFFICIENT_PAYMENT',
  'ERR_MISSING_RECIPIENT_OUTPUTS',
  'ERR_PAYMENT_UNAVAILABLE',
  'ERR_MESSAGE_BODY_TOO_LARGE',
  'ERR_DUPLICATE_MESSAGE',
  'ERR_PAYMENT_REPLAYED',
  'ERR_PAYMENT_DOUBLE_SPENT',
  'ERR_INBOX_QUOTA_EXCEEDED',
  'ERR_SENDER_QUOTA_EXCEEDED',
  'ERR_STORAGE_FULL',
  'ERR_STORAGE_UNAVAILABLE',
] as const satisfies readonly RelayErrorCode[]
