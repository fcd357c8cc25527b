import { isJsonObject } from '../http/json-body'
import { isAbsent, isWellFormed } from './text'
import { invalid, type Validator } from './validate'

/** A valid `/acknowledgeMessage` request: distinct ids, integers turned into their decimal strings. */
export interface AcknowledgeMessageRequest {
  messageIds: string[]
}

/** `/acknowledgeMessage`, checked in the contract's order. */
export const acknowledgeMessageRequest: Validator<AcknowledgeMessageRequest> = (json, config) => {
  const request = isJsonObject(json) ? json : {}
  const given = request.messageIds
  if (isAbsent(given) || (Array.isArray(given) && given.length === 0)) {
    throw invalid('ERR_MESSAGE_ID_REQUIRED', 'messageIds is required: a non-empty array of message ids.')
  }
  if (!Array.isArray(given) || !given.every(isMessageId)) {
    throw invalid(
      'ERR_INVALID_MESSAGE_ID',
      'messageIds must be an array of strings or non-negative integers.',
    )
  }
  if (given.length > config.maxAcknowledgeIds) {
    throw invalid(
      'ERR_TOO_MANY_MESSAGE_IDS',
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
