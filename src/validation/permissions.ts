import { isJsonObject } from '../http/json-body'
import { MAX_FEE } from '../permissions/fees'
import { canonicalIdentityKey } from './identity-key'
import { isAbsent, messageBoxName } from './text'
import { invalid, type Validator } from './validate'

/** A valid `/permissions/set` request; `sender` null sets the box-wide rule. */
export interface SetPermissionRequest {
  messageBox: string
  sender: string | null
  recipientFee: number
}

/** `POST /permissions/set`, checked in the contract's order of its codes. */
export const setPermissionRequest: Validator<SetPermissionRequest> = (json) => {
  const request = isJsonObject(json) ? json : {}
  const { messageBox, recipientFee, sender } = request
  if (isAbsent(messageBox) || typeof recipientFee !== 'number') {
    throw invalid('ERR_INVALID_REQUEST', 'messageBox (string) and recipientFee (integer) are required.')
  }
  if (!Number.isInteger(recipientFee) || recipientFee < -1 || recipientFee > MAX_FEE) {
    throw invalid(
      'ERR_INVALID_FEE_VALUE',
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

export const getPermissionQuery: Validator<GetPermissionQuery, URLSearchParams> = (query) => {
  const messageBox = query.get('messageBox')
  if (messageBox === null || messageBox === '') {
    throw invalid('ERR_MISSING_PARAMETERS', 'messageBox is required.')
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

const MAX_PERMISSION_PAGE = 1000

export const listPermissionsQuery: Validator<ListPermissionsQuery, URLSearchParams> = (query) => {
  // The client sends `message_box`; `messageBox` is the contract's other spelling.
  const given = query.get('messageBox') ?? query.get('message_box')
  const limit = queryInteger(query.get('limit'), 100)
  if (limit === null || limit < 1 || limit > MAX_PERMISSION_PAGE) {
    throw invalid('ERR_INVALID_LIMIT', `limit must be an integer from 1 to ${MAX_PERMISSION_PAGE}.`)
  }
  const offset = queryInteger(query.get('offset'), 0)
  if (offset === null) throw invalid('ERR_INVALID_OFFSET', 'offset must be an integer >= 0.')
  const order = query.get('createdAtOrder') ?? 'desc'
  if (order !== 'asc' && order !== 'desc') {
    throw invalid('ERR_INVALID_REQUEST', 'createdAtOrder must be "asc" or "desc".')
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

export const quoteQuery: Validator<QuoteQuery, URLSearchParams> = (query, config) => {
  const messageBox = query.get('messageBox')
  const given = query.getAll('recipient')
  if (messageBox === null || messageBox === '' || given.length === 0) {
    throw invalid('ERR_MISSING_PARAMETERS', 'messageBox and at least one recipient are required.')
  }
  if (given.length > config.maxRecipientsPerSend) {
    throw invalid('ERR_TOO_MANY_RECIPIENTS', `At most ${config.maxRecipientsPerSend} recipients per quote.`)
  }
  const recipients = given.map((key, index) => {
    const recipient = canonicalIdentityKey(key)
    if (recipient === null) {
      throw invalid('ERR_INVALID_PUBLIC_KEY', `Invalid recipient public key at index ${index}.`)
    }
    return { given: key, recipient }
  })
  return { messageBox: boxName(messageBox), recipients }
}

/** The sendMessage rules for a box name, with this route family's code. */
function boxName(value: unknown): string {
  const name = messageBoxName(value)
  if (name === null) {
    throw invalid(
      'ERR_INVALID_MESSAGE_BOX',
      'messageBox must be a name of 1-128 UTF-8 bytes without control characters.',
    )
  }
  return name
}

/** An optional identity key (absent or null: none), canonical. */
function optionalKey(value: unknown, field: string): string | null {
  if (isAbsent(value)) return null
  const key = canonicalIdentityKey(value)
  if (key === null) throw invalid('ERR_INVALID_PUBLIC_KEY', `${field} is not a valid public key.`)
  return key
}

/** A non-negative decimal integer from a query string; `fallback` when absent; null when malformed. */
function queryInteger(value: string | null, fallback: number): number | null {
  if (value === null || value === '') return fallback
  if (!/^\d{1,15}$/.test(value)) return null
  return Number(value)
}
