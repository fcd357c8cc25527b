import { isJsonObject } from '../http/json-body'
import type { Fields } from './field'
import { MESSAGE_BOX_RULE, messageBoxName } from '../text'
import { isAbsent, messageBoxSchema } from './text'
import { invalid, type Validator } from './validate'

/** A valid `/listMessages` request, defaults applied. */
export interface ListMessagesRequest {
  messageBox: string
  limit: number
  offset: number
}

/** The contract's page bounds (not configurable: the real client reads only the first page of 1000). */
export const MAX_LIST_LIMIT = 1000

const offsetSchema = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }

/** `/listMessages`'s fields: what the API document shows and the code each check throws. */
export const listMessagesFields = {
  messageBox: {
    required: true,
    schema: messageBoxSchema,
    errors: { missing: 'ERR_MESSAGEBOX_REQUIRED', invalid: 'ERR_INVALID_MESSAGEBOX' },
  },
  limit: {
    schema: {
      type: 'integer',
      minimum: 1,
      maximum: MAX_LIST_LIMIT,
      default: MAX_LIST_LIMIT,
      description:
        'Messages per page at most (a page also ends early when its JSON would pass the byte budget).',
    },
    errors: { invalid: 'ERR_INVALID_LIMIT' },
  },
  offset: {
    schema: { ...offsetSchema, default: 0, description: 'Messages to skip, oldest first.' },
    errors: { invalid: 'ERR_INVALID_OFFSET' },
  },
  skip: {
    schema: { ...offsetSchema, description: 'An alias of `offset`; when both are given they must be equal.' },
    errors: { invalid: 'ERR_INVALID_OFFSET', mismatch: 'ERR_INVALID_OFFSET' },
  },
} as const satisfies Fields

const fields = listMessagesFields

/** Every code `listMessagesRequest` throws, in the order it checks. */
export const listMessagesErrors = [
  fields.messageBox.errors.missing,
  fields.messageBox.errors.invalid,
  fields.limit.errors.invalid,
  fields.offset.errors.invalid,
] as const

/** `/listMessages`, checked in the contract's order. */
export const listMessagesRequest: Validator<ListMessagesRequest> = (json) => {
  const request = isJsonObject(json) ? json : {}
  if (isAbsent(request.messageBox) || request.messageBox === '') {
    throw invalid(fields.messageBox.errors.missing, 'messageBox is required.')
  }
  const messageBox = messageBoxName(request.messageBox)
  if (messageBox === null) throw invalid(fields.messageBox.errors.invalid, MESSAGE_BOX_RULE)

  const limit = isAbsent(request.limit) ? fields.limit.schema.default : request.limit
  const { minimum, maximum } = fields.limit.schema
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < minimum || limit > maximum) {
    throw invalid(fields.limit.errors.invalid, `limit must be an integer from 1 to ${MAX_LIST_LIMIT}.`)
  }

  const given = [request.offset, request.skip].filter((value) => !isAbsent(value))
  for (const value of given) {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw invalid(fields.offset.errors.invalid, 'offset (or skip) must be an integer >= 0.')
    }
  }
  if (given.length === 2 && given[0] !== given[1]) {
    throw invalid(
      fields.skip.errors.mismatch,
      'offset and skip are aliases; when both are given they must be equal.',
    )
  }
  return { messageBox, limit, offset: (given[0] as number | undefined) ?? fields.offset.schema.default }
}
