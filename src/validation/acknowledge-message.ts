import { isJsonObject } from '../http/json-body'
import type { Fields } from './field'
import { isWellFormed } from '../text'
import { isAbsent } from './text'
import { invalid, type Validator } from './validate'

/** A valid `/acknowledgeMessage` request: distinct ids, integers turned into their decimal strings. */
export interface AcknowledgeMessageRequest {
  messageIds: string[]
}

/** `/acknowledgeMessage`'s fields: what the API document shows and the code each check throws. */
export const acknowledgeMessageFields = {
  messageIds: {
    required: true,
    schema: (config) => ({
      type: 'array',
      minItems: 1,
      maxItems: config.maxAcknowledgeIds,
      items: {
        anyOf: [
          { type: 'string', description: 'A message id as listed.' },
          {
            type: 'integer',
            minimum: 0,
            maximum: Number.MAX_SAFE_INTEGER,
            description: 'BRC-33 style: means its decimal string.',
          },
        ],
      },
      description: "Ids of the caller's messages to delete, in any of its boxes (repeats count once).",
    }),
    errors: {
      missing: 'ERR_MESSAGE_ID_REQUIRED',
      invalid: 'ERR_INVALID_MESSAGE_ID',
      tooMany: 'ERR_TOO_MANY_MESSAGE_IDS',
    },
  },
} as const satisfies Fields

const { messageIds: field } = acknowledgeMessageFields

/** Every code `acknowledgeMessageRequest` throws, in the order it checks. */
export const acknowledgeMessageErrors = [
  field.errors.missing,
  field.errors.invalid,
  field.errors.tooMany,
] as const

/** `/acknowledgeMessage`, checked in the contract's order. */
export const acknowledgeMessageRequest: Validator<AcknowledgeMessageRequest> = (json, config) => {
  const request = isJsonObject(json) ? json : {}
  const given = request.messageIds
  if (isAbsent(given) || (Array.isArray(given) && given.length === 0)) {
    throw invalid(field.errors.missing, 'messageIds is required: a non-empty array of message ids.')
  }
  if (!Array.isArray(given) || !given.every(isMessageId)) {
    throw invalid(field.errors.invalid, 'messageIds must be an array of strings or non-negative integers.')
  }
  if (given.length > config.maxAcknowledgeIds) {
    throw invalid(
      field.errors.tooMany,
      `At most ${config.maxAcknowledgeIds} message ids per acknowledgement.`,
    )
  }
  // BRC-33's example acknowledges integers; an integer means its decimal string. Repeats count once.
  return { messageIds: [...new Set(given.map(String))] }
}

// A lone surrogate cannot match a stored id (storage keeps well-formed UTF-8): refused, not silently altered.
function isMessageId(value: unknown): value is string | number {
  return (
    (typeof value === 'string' && isWellFormed(value)) ||
    (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0)
  )
}
