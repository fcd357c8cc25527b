import { isJsonObject } from '../http/json-body'
import { isAbsent, messageBoxName } from './text'
import { invalid, type Validator } from './validate'

/** A valid `/listMessages` request, defaults applied. */
export interface ListMessagesRequest {
  messageBox: string
  limit: number
  offset: number
}

/** The contract's page bounds (not configurable: the real client reads only the first page of 1000). */
export const MAX_LIST_LIMIT = 1000

/** `/listMessages`, checked in the contract's order. */
export const listMessagesRequest: Validator<ListMessagesRequest> = (json) => {
  const request = isJsonObject(json) ? json : {}
  if (isAbsent(request.messageBox) || request.messageBox === '') {
    throw invalid('ERR_MESSAGEBOX_REQUIRED', 'messageBox is required.')
  }
  const messageBox = messageBoxName(request.messageBox)
  if (messageBox === null) {
    throw invalid(
      'ERR_INVALID_MESSAGEBOX',
      'messageBox must be a name of 1-128 UTF-8 bytes without control characters.',
    )
  }

  const limit = isAbsent(request.limit) ? MAX_LIST_LIMIT : request.limit
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw invalid('ERR_INVALID_LIMIT', `limit must be an integer from 1 to ${MAX_LIST_LIMIT}.`)
  }

  const given = [request.offset, request.skip].filter((value) => !isAbsent(value))
  for (const value of given) {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw invalid('ERR_INVALID_OFFSET', 'offset (or skip) must be an integer >= 0.')
    }
  }
  if (given.length === 2 && given[0] !== given[1]) {
    throw invalid(
      'ERR_INVALID_OFFSET',
      'offset and skip are aliases; when both are given they must be equal.',
    )
  }
  return { messageBox, limit, offset: (given[0] as number | undefined) ?? 0 }
}
