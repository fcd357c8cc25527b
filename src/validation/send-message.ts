import { isJsonObject } from '../http/json-body'
import { canonicalIdentityKey } from './identity-key'
import { isAbsent, isBoundedText, isNonBlankString, isWellFormed, messageBoxName, utf8Length } from './text'
import { invalid, type Validator } from './validate'

/** A valid `/sendMessage` request: canonical recipients, each with its client id (null: generate one). */
export interface SendMessageRequest {
  messageBox: string
  /** The body as it will be stored and listed. */
  body: string
  recipients: { recipient: string; messageId: string | null }[]
  /** Whether a `payment` came with the send (checks 10b–10c). */
  hasPayment: boolean
  /** The body as sent (a string or an object): what a paid send's wrapper carries as `message`. */
  message: unknown
  /** The `payment` as sent (untrusted: verified only when something is owed). */
  payment: unknown
}

const MAX_MESSAGE_ID_BYTES = 256

/** `/sendMessage`, checked in the contract's order (first failure wins). */
export const sendMessageRequest: Validator<SendMessageRequest> = (json, config) => {
  const request = isJsonObject(json) ? json : {}
  const message = request.message
  // Check numbers are the contract's (docs/contract.md, POST /sendMessage).
  if (isAbsent(message)) throw invalid('ERR_MESSAGE_REQUIRED', 'A message is required.')
  const fields = isJsonObject(message) ? message : {}

  const messageBox = messageBoxName(fields.messageBox) // 2
  if (messageBox === null) {
    throw invalid(
      'ERR_INVALID_MESSAGEBOX',
      'messageBox must be a name of 1-128 UTF-8 bytes without control characters.',
    )
  }

  const body = fields.body // 3
  if (!(isNonBlankString(body) && isWellFormed(body)) && !isJsonObject(body)) {
    throw invalid(
      'ERR_INVALID_MESSAGE_BODY',
      'body must be a non-blank string of well-formed Unicode, or an object.',
    )
  }

  // 4-5. `recipients` wins when both are given: it is the newer, explicitly plural field.
  const given = isAbsent(fields.recipients) ? fields.recipient : fields.recipients
  const keys = isAbsent(given) ? [] : Array.isArray(given) ? given : [given]
  if (keys.length === 0) throw invalid('ERR_RECIPIENT_REQUIRED', 'A recipient is required.')
  if (keys.length > config.maxRecipientsPerSend) {
    throw invalid('ERR_TOO_MANY_RECIPIENTS', `At most ${config.maxRecipientsPerSend} recipients per message.`)
  }

  // 6-7. A single id counts as one, so one id for several recipients is a mismatch.
  const ids = isAbsent(fields.messageId)
    ? null
    : Array.isArray(fields.messageId)
      ? fields.messageId
      : [fields.messageId]
  if (ids !== null && ids.length !== keys.length) {
    throw invalid(
      'ERR_MESSAGEID_COUNT_MISMATCH',
      `Expected ${keys.length} messageId(s), one per recipient; got ${ids.length}.`,
    )
  }
  for (const id of ids ?? []) {
    if (!isNonBlankString(id) || !isBoundedText(id, MAX_MESSAGE_ID_BYTES)) {
      throw invalid(
        'ERR_INVALID_MESSAGEID',
        'Each messageId must be a non-blank string of 1-256 UTF-8 bytes without control characters.',
      )
    }
  }

  // 8-9.
  const recipients = keys.map((key, i) => {
    const recipient = canonicalIdentityKey(key)
    if (recipient === null) {
      throw invalid(
        'ERR_INVALID_RECIPIENT_KEY',
        `Invalid recipient key: ${JSON.stringify(key)?.slice(0, 140)}.`,
      )
    }
    return { recipient, messageId: (ids?.[i] as string | undefined) ?? null }
  })
  if (new Set(recipients.map((r) => r.recipient)).size !== recipients.length) {
    throw invalid('ERR_DUPLICATE_RECIPIENT', 'The same recipient is listed more than once.')
  }

  // 10. Checks 11-12 need storage: deliverMessages makes them.
  const sent = typeof body === 'string' ? body : JSON.stringify(body)
  if (utf8Length(sent) > config.maxMessageBodyBytes) {
    throw invalid(
      'ERR_MESSAGE_BODY_TOO_LARGE',
      `The message body exceeds ${config.maxMessageBodyBytes} bytes.`,
    )
  }
  // The reference's wrapper, only when a payment came along (the real client unwraps either form).
  const hasPayment = !isAbsent(request.payment)
  const stored = hasPayment ? JSON.stringify({ message: body, payment: request.payment }) : sent
  return { messageBox, body: stored, recipients, hasPayment, message: body, payment: request.payment }
}
