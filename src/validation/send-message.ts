import type { Config } from '../config'
import { isJsonObject } from '../http/json-body'
import { type Fields, type JsonSchema, objectSchema } from './field'
import { canonicalIdentityKey, identityKeySchema } from './identity-key'
import { isBoundedText, isWellFormed, MESSAGE_BOX_RULE, messageBoxName, utf8Length } from '../text'
import { isAbsent, isNonBlankString, messageBoxSchema } from './text'
import { invalid, type Validator } from './validate'

/** A valid `/sendMessage` request: canonical recipients, each with its client id (null: generate one). */
export interface SendMessageRequest {
  messageBox: string
  /** The body as it is stored and listed when nothing is owed: the string, or the object's JSON. */
  body: string
  recipients: { recipient: string; messageId: string | null }[]
  /** Whether a `payment` came with the send (checks 10b–10c). */
  hasPayment: boolean
  /** The body as sent (a string or an object): what a paid send's wrapper carries as `message`. */
  message: unknown
  /** The `payment` as sent (untrusted: verified only when something is owed). */
  payment: unknown
}

/** The longest client `messageId`, in UTF-8 bytes (docs/contract.md "Limits"). */
export const MAX_MESSAGE_ID_BYTES = 256

const recipientErrors = {
  missing: 'ERR_RECIPIENT_REQUIRED',
  tooMany: 'ERR_TOO_MANY_RECIPIENTS',
  invalid: 'ERR_INVALID_RECIPIENT_KEY',
  duplicate: 'ERR_DUPLICATE_RECIPIENT',
} as const

const recipientList = (config: Config): JsonSchema => ({
  type: 'array',
  items: identityKeySchema,
  minItems: 1,
  maxItems: config.maxRecipientsPerSend,
})

const messageIdSchema: JsonSchema = {
  type: 'string',
  minLength: 1,
  maxLength: MAX_MESSAGE_ID_BYTES,
  pattern: '\\S',
  description: `1–${MAX_MESSAGE_ID_BYTES} UTF-8 bytes, not blank, no control characters.`,
}

/** The fields of `/sendMessage`'s `message` object: what the API document shows and the code each check throws. */
export const sendMessageMessageFields = {
  recipient: {
    schema: (config) => ({
      anyOf: [identityKeySchema, recipientList(config)],
      description: `One recipient's key, or several (at most ${config.maxRecipientsPerSend}, no repeats). Ignored when \`recipients\` is given.`,
    }),
    errors: recipientErrors,
  },
  recipients: {
    schema: (config) => ({
      ...recipientList(config),
      description: `The recipients' keys (at most ${config.maxRecipientsPerSend}, no repeats); wins over \`recipient\`.`,
    }),
    errors: recipientErrors,
  },
  messageBox: { required: true, schema: messageBoxSchema, errors: { invalid: 'ERR_INVALID_MESSAGEBOX' } },
  messageId: {
    schema: (config) => ({
      anyOf: [
        messageIdSchema,
        { type: 'array', items: messageIdSchema, minItems: 1, maxItems: config.maxRecipientsPerSend },
      ],
      description:
        "Optional: the client's id per recipient, in recipient order (one string for one recipient); generated when absent. Unique per recipient; a repeat of the same send is idempotent.",
    }),
    errors: { countMismatch: 'ERR_MESSAGEID_COUNT_MISMATCH', invalid: 'ERR_INVALID_MESSAGEID' },
  },
  body: {
    required: true,
    schema: (config) => ({
      anyOf: [{ type: 'string', pattern: '\\S' }, { type: 'object' }],
      description: `A non-blank string of well-formed Unicode (stored and listed byte-identical) or an object (stored as its JSON). At most ${config.maxMessageBodyBytes} UTF-8 bytes.`,
    }),
    errors: { invalid: 'ERR_INVALID_MESSAGE_BODY', tooLarge: 'ERR_MESSAGE_BODY_TOO_LARGE' },
  },
} as const satisfies Fields

/** `/sendMessage`'s body fields: what the API document shows and the code each check throws. */
export const sendMessageFields = {
  message: {
    required: true,
    schema: (config) =>
      objectSchema(sendMessageMessageFields, config, {
        anyOf: [{ required: ['recipient'] }, { required: ['recipients'] }],
        description:
          'The message. Other keys (the real client adds `skipEncryption`, `checkPermissions`) are ignored.',
      }),
    errors: { missing: 'ERR_MESSAGE_REQUIRED' },
  },
  payment: {
    schema: {
      type: 'object',
      description:
        'Needed when the send owes fees (see GET /permissions/quote): `{tx: AtomicBEEF bytes, outputs: [{outputIndex, protocol: "wallet payment", paymentRemittance: {derivationPrefix, derivationSuffix, senderIdentityKey}}], description}`. Verified (and broadcast) before anything is stored, and then stored with the message in the wrapper `{"message", "payment"}`. When nothing is owed it is ignored: neither verified nor stored.',
    },
    errors: {},
  },
} as const satisfies Fields

const { message: messageField } = sendMessageFields
const fields = sendMessageMessageFields

/** Every code `sendMessageRequest` throws, in the order it checks (docs/contract.md checks 1–10). */
export const sendMessageErrors = [
  messageField.errors.missing,
  fields.messageBox.errors.invalid,
  fields.body.errors.invalid,
  recipientErrors.missing,
  recipientErrors.tooMany,
  fields.messageId.errors.countMismatch,
  fields.messageId.errors.invalid,
  recipientErrors.invalid,
  recipientErrors.duplicate,
  fields.body.errors.tooLarge,
] as const

/** `/sendMessage`, checked in the contract's order (first failure wins). */
export const sendMessageRequest: Validator<SendMessageRequest> = (json, config) => {
  const request = isJsonObject(json) ? json : {}
  const message = request.message
  // Check numbers are the contract's (docs/contract.md, POST /sendMessage).
  if (isAbsent(message)) throw invalid(messageField.errors.missing, 'A message is required.')
  const given = isJsonObject(message) ? message : {}

  const messageBox = messageBoxName(given.messageBox) // 2
  if (messageBox === null) throw invalid(fields.messageBox.errors.invalid, MESSAGE_BOX_RULE)

  const body = given.body // 3
  if (!(isNonBlankString(body) && isWellFormed(body)) && !isJsonObject(body)) {
    throw invalid(
      fields.body.errors.invalid,
      'body must be a non-blank string of well-formed Unicode, or an object.',
    )
  }

  // 4-5. `recipients` wins when both are given: it is the newer, explicitly plural field.
  const named = isAbsent(given.recipients) ? given.recipient : given.recipients
  const keys = isAbsent(named) ? [] : Array.isArray(named) ? named : [named]
  if (keys.length === 0) throw invalid(recipientErrors.missing, 'A recipient is required.')
  if (keys.length > config.maxRecipientsPerSend) {
    throw invalid(recipientErrors.tooMany, `At most ${config.maxRecipientsPerSend} recipients per message.`)
  }

  // 6-7. A single id counts as one, so one id for several recipients is a mismatch.
  const ids = isAbsent(given.messageId)
    ? null
    : Array.isArray(given.messageId)
      ? given.messageId
      : [given.messageId]
  if (ids !== null && ids.length !== keys.length) {
    throw invalid(
      fields.messageId.errors.countMismatch,
      `Expected ${keys.length} messageId(s), one per recipient; got ${ids.length}.`,
    )
  }
  for (const id of ids ?? []) {
    if (!isNonBlankString(id) || !isBoundedText(id, MAX_MESSAGE_ID_BYTES)) {
      throw invalid(
        fields.messageId.errors.invalid,
        `Each messageId must be a non-blank string of 1-${MAX_MESSAGE_ID_BYTES} UTF-8 bytes without control characters.`,
      )
    }
  }

  // 8-9.
  const recipients = keys.map((key, i) => {
    const recipient = canonicalIdentityKey(key)
    if (recipient === null) {
      throw invalid(recipientErrors.invalid, `Invalid recipient key: ${JSON.stringify(key)?.slice(0, 140)}.`)
    }
    return { recipient, messageId: (ids?.[i] as string | undefined) ?? null }
  })
  if (new Set(recipients.map((r) => r.recipient)).size !== recipients.length) {
    throw invalid(recipientErrors.duplicate, 'The same recipient is listed more than once.')
  }

  // 10. Checks 10a–12 need storage: the send pipeline makes them (src/delivery/send-pipeline.ts).
  const sent = typeof body === 'string' ? body : JSON.stringify(body)
  if (utf8Length(sent) > config.maxMessageBodyBytes) {
    throw invalid(
      fields.body.errors.tooLarge,
      `The message body exceeds ${config.maxMessageBodyBytes} bytes.`,
    )
  }
  // A payment is stored (in the reference's wrapper) only once it is owed and verified: an unpaid one would
  // only let a sender store twice the bytes (src/delivery/paid-form.ts).
  const hasPayment = !isAbsent(request.payment)
  return { messageBox, body: sent, recipients, hasPayment, message: body, payment: request.payment }
}
