import { isJsonObject } from '../http/json-body'
import { MAX_FEE } from '../config'
import type { Fields } from './field'
import { canonicalIdentityKey, identityKeySchema } from './identity-key'
import { RULE_BOX_RULE, ruleBoxName } from '../text'
import { isAbsent, ruleBoxSchema } from './text'
import { invalid, type Validator } from './validate'

/** A valid `/permissions/set` request; `sender` null sets the box-wide rule. */
export interface SetPermissionRequest {
  messageBox: string
  sender: string | null
  recipientFee: number
}

/** This route family's code for a box name that breaks the sendMessage rules. */
const INVALID_BOX = 'ERR_INVALID_MESSAGE_BOX'
/** This route family's code for a key that is not a valid public key. */
const INVALID_KEY = 'ERR_INVALID_PUBLIC_KEY'

/** `recipientFee`: -1 blocked, 0 always allowed, 1..MAX_FEE satoshis owed (docs/contract.md "Permissions and fees"). */
export const recipientFeeSchema = {
  type: 'integer',
  minimum: -1,
  maximum: MAX_FEE,
  description: '-1: blocked; 0: always allowed; 1 or more: satoshis the sender pays the owner per message.',
} as const

/** `POST /permissions/set`'s fields: what the API document shows and the code each check throws. */
export const setPermissionFields = {
  messageBox: {
    required: true,
    schema: ruleBoxSchema,
    errors: { missing: 'ERR_INVALID_REQUEST', invalid: INVALID_BOX },
  },
  recipientFee: {
    required: true,
    schema: recipientFeeSchema,
    errors: { missing: 'ERR_INVALID_REQUEST', invalid: 'ERR_INVALID_FEE_VALUE' },
  },
  sender: {
    schema: {
      anyOf: [identityKeySchema, { type: 'null' }],
      description: "The sender this rule is for; absent or null: the owner's box-wide rule.",
    },
    errors: { invalid: INVALID_KEY },
  },
} as const satisfies Fields

const set = setPermissionFields

/** Every code `setPermissionRequest` throws, in the order it checks. */
export const setPermissionErrors = [
  set.messageBox.errors.missing,
  set.recipientFee.errors.invalid,
  set.sender.errors.invalid,
  set.messageBox.errors.invalid,
] as const

/** `POST /permissions/set`, checked in the contract's order of its codes. */
export const setPermissionRequest: Validator<SetPermissionRequest> = (json) => {
  const request = isJsonObject(json) ? json : {}
  const { messageBox, recipientFee, sender } = request
  if (isAbsent(messageBox) || typeof recipientFee !== 'number') {
    throw invalid(
      set.messageBox.errors.missing,
      'messageBox (string) and recipientFee (integer) are required.',
    )
  }
  const { minimum, maximum } = recipientFeeSchema
  if (!Number.isInteger(recipientFee) || recipientFee < minimum || recipientFee > maximum) {
    throw invalid(
      set.recipientFee.errors.invalid,
      `recipientFee must be an integer: -1 (blocked), 0 (always allowed) or 1..${MAX_FEE} satoshis.`,
    )
  }
  const key = optionalKey(sender, 'sender')
  return { messageBox: boxName(messageBox), sender: key, recipientFee }
}

/** A valid `GET /permissions/get` query (the client's `recipient` is ignored: the caller is the owner). */
export interface GetPermissionQuery {
  messageBox: string
  sender: string | null
}

/** `GET /permissions/get`'s query parameters: what the API document shows and the code each check throws. */
export const getPermissionFields = {
  messageBox: {
    required: true,
    schema: ruleBoxSchema,
    errors: { missing: 'ERR_MISSING_PARAMETERS', invalid: INVALID_BOX },
  },
  sender: {
    schema: { ...identityKeySchema, description: "The sender's rule; absent: the box-wide rule." },
    errors: { invalid: INVALID_KEY },
  },
  recipient: {
    schema: {
      type: 'string',
      description: 'Ignored (the caller is the owner); message-box-client sends it.',
    },
    errors: {},
  },
} as const satisfies Fields

const get = getPermissionFields

/** Every code `getPermissionQuery` throws, in the order it checks. */
export const getPermissionErrors = [
  get.messageBox.errors.missing,
  get.messageBox.errors.invalid,
  get.sender.errors.invalid,
] as const

export const getPermissionQuery: Validator<GetPermissionQuery, URLSearchParams> = (query) => {
  const messageBox = query.get('messageBox')
  if (messageBox === null || messageBox === '') {
    throw invalid(get.messageBox.errors.missing, 'messageBox is required.')
  }
  return { messageBox: boxName(messageBox), sender: optionalKey(query.get('sender'), 'sender') }
}

/** A valid `GET /permissions/list` query, defaults applied. */
export interface ListPermissionsQuery {
  messageBox: string | null
  limit: number
  offset: number
  createdAtOrder: 'asc' | 'desc'
}

/** The longest page of `GET /permissions/list`. */
export const MAX_PERMISSION_PAGE = 1000

/** Digits a query-string integer may have (its largest value stays a safe integer). */
const QUERY_INTEGER_DIGITS = 15
const QUERY_INTEGER = new RegExp(`^\\d{1,${QUERY_INTEGER_DIGITS}}$`)
const MAX_QUERY_INTEGER = 10 ** QUERY_INTEGER_DIGITS - 1

const CREATED_AT_ORDERS = ['asc', 'desc'] as const

const boxFilter = {
  schema: {
    ...ruleBoxSchema,
    description: "Only this box's rules (absent or empty: every box's; `*`: the rules for all boxes).",
  },
  errors: { invalid: INVALID_BOX },
} as const

/** `GET /permissions/list`'s query parameters: what the API document shows and the code each check throws. */
export const listPermissionsFields = {
  messageBox: boxFilter,
  message_box: {
    ...boxFilter,
    schema: {
      ...boxFilter.schema,
      description: "The client's spelling of `messageBox` (`messageBox` wins).",
    },
  },
  limit: {
    schema: { type: 'integer', minimum: 1, maximum: MAX_PERMISSION_PAGE, default: 100 },
    errors: { invalid: 'ERR_INVALID_LIMIT' },
  },
  offset: {
    schema: { type: 'integer', minimum: 0, maximum: MAX_QUERY_INTEGER, default: 0 },
    errors: { invalid: 'ERR_INVALID_OFFSET' },
  },
  createdAtOrder: {
    schema: {
      type: 'string',
      enum: CREATED_AT_ORDERS,
      default: 'desc',
      description: 'Order of rules with the same box and sender kind (box-wide first, then by sender).',
    },
    errors: { invalid: 'ERR_INVALID_REQUEST' },
  },
} as const satisfies Fields

const list = listPermissionsFields

/** Every code `listPermissionsQuery` throws, in the order it checks. */
export const listPermissionsErrors = [
  list.limit.errors.invalid,
  list.offset.errors.invalid,
  list.createdAtOrder.errors.invalid,
  list.messageBox.errors.invalid,
] as const

export const listPermissionsQuery: Validator<ListPermissionsQuery, URLSearchParams> = (query) => {
  // The client sends `message_box`; `messageBox` is the contract's other spelling.
  const given = query.get('messageBox') ?? query.get('message_box')
  const limit = queryInteger(query.get('limit'), list.limit.schema.default)
  if (limit === null || limit < list.limit.schema.minimum || limit > MAX_PERMISSION_PAGE) {
    throw invalid(list.limit.errors.invalid, `limit must be an integer from 1 to ${MAX_PERMISSION_PAGE}.`)
  }
  const offset = queryInteger(query.get('offset'), list.offset.schema.default)
  if (offset === null) throw invalid(list.offset.errors.invalid, 'offset must be an integer >= 0.')
  const order = query.get('createdAtOrder') ?? list.createdAtOrder.schema.default
  if (!isCreatedAtOrder(order)) {
    throw invalid(list.createdAtOrder.errors.invalid, 'createdAtOrder must be "asc" or "desc".')
  }
  return {
    messageBox: given === null || given === '' ? null : boxName(given),
    limit,
    offset,
    createdAtOrder: order,
  }
}

/** A valid `GET /permissions/quote` query: the recipients as sent (a quote echoes them) and canonical. */
export interface QuoteQuery {
  messageBox: string
  recipients: { given: string; recipient: string }[]
}

/** `GET /permissions/quote`'s query parameters: what the API document shows and the code each check throws. */
export const quoteFields = {
  recipient: {
    required: true,
    schema: (config) => ({
      type: 'array',
      items: identityKeySchema,
      minItems: 1,
      maxItems: config.maxRecipientsPerSend,
      description:
        'Repeat the parameter for several recipients (`recipient=K1&recipient=K2`); answered in this order.',
    }),
    errors: { missing: 'ERR_MISSING_PARAMETERS', tooMany: 'ERR_TOO_MANY_RECIPIENTS', invalid: INVALID_KEY },
  },
  messageBox: {
    required: true,
    schema: ruleBoxSchema,
    errors: { missing: 'ERR_MISSING_PARAMETERS', invalid: INVALID_BOX },
  },
} as const satisfies Fields

const quote = quoteFields

/** Every code `quoteQuery` throws, in the order it checks. */
export const quoteErrors = [
  quote.recipient.errors.missing,
  quote.recipient.errors.tooMany,
  quote.recipient.errors.invalid,
  quote.messageBox.errors.invalid,
] as const

export const quoteQuery: Validator<QuoteQuery, URLSearchParams> = (query, config) => {
  const messageBox = query.get('messageBox')
  const given = query.getAll('recipient')
  if (messageBox === null || messageBox === '' || given.length === 0) {
    throw invalid(quote.recipient.errors.missing, 'messageBox and at least one recipient are required.')
  }
  if (given.length > config.maxRecipientsPerSend) {
    throw invalid(
      quote.recipient.errors.tooMany,
      `At most ${config.maxRecipientsPerSend} recipients per quote.`,
    )
  }
  const recipients = given.map((key, index) => {
    const recipient = canonicalIdentityKey(key)
    if (recipient === null) {
      throw invalid(quote.recipient.errors.invalid, `Invalid recipient public key at index ${index}.`)
    }
    return { given: key, recipient }
  })
  return { messageBox: boxName(messageBox), recipients }
}

/** The sendMessage rules for a box name, or `*` (every box of the owner), with this route family's code. */
function boxName(value: unknown): string {
  const name = ruleBoxName(value)
  if (name === null) throw invalid(INVALID_BOX, RULE_BOX_RULE)
  return name
}

/** An optional identity key (absent or null: none), canonical. */
function optionalKey(value: unknown, field: string): string | null {
  if (isAbsent(value)) return null
  const key = canonicalIdentityKey(value)
  if (key === null) throw invalid(INVALID_KEY, `${field} is not a valid public key.`)
  return key
}

function isCreatedAtOrder(value: string): value is ListPermissionsQuery['createdAtOrder'] {
  return (CREATED_AT_ORDERS as readonly string[]).includes(value)
}

/** A non-negative decimal integer from a query string; `fallback` when absent; null when malformed. */
function queryInteger(value: string | null, fallback: number): number | null {
  if (value === null || value === '') return fallback
  if (!QUERY_INTEGER.test(value)) return null
  return Number(value)
}
