import { Hono } from 'hono'
import { type ListedMessage, listForRecipient } from '../db/messages'
import type { AppEnv } from '../http/context'
import { listMessagesRequest } from '../validation/list-messages'
import { utf8Length } from '../text'
import { validateBody } from '../validation/validate'

/** `POST /listMessages`: one page of the caller's own unexpired messages in one box, oldest first. */
export const listMessages = new Hono<AppEnv>().post('/listMessages', async (c) => {
  const { messageBox, limit, offset } = validateBody(c, listMessagesRequest)
  const me = c.var.identityKey
  const maxBytes = c.var.config.maxListBodyBytes
  const page = await listForRecipient(c.var.db, me, messageBox, {
    limit,
    offset,
    now: Date.now(),
    maxBytes,
  })
  const messages = withinBudget(page.messages.map(listed), maxBytes)
  const hasMore = page.hasMore || messages.length < page.messages.length
  const nextOffset = hasMore ? offset + messages.length : null
  return c.json({ status: 'success', messages, limit, offset, hasMore, nextOffset })
})

/** Both timestamp spellings: the reference sends camelCase, the client's types and older servers snake_case. */
function listed({ messageId, body, sender, createdAt }: ListedMessage) {
  const at = new Date(createdAt).toISOString()
  // Messages are never edited, so updated equals created.
  return { messageId, body, sender, createdAt: at, updatedAt: at, created_at: at, updated_at: at }
}

/**
 * The longest prefix of `messages` whose serialized JSON fits in `maxBytes` (never fewer than one). Storage
 * already cut the page by stored size, but JSON escaping can make a body up to six times larger (a control
 * character is `\u0000`), and the response is what the Worker must hold and sign.
 */
function withinBudget<T>(messages: T[], maxBytes: number): T[] {
  let bytes = 0
  for (let i = 0; i < messages.length; i++) {
    bytes += utf8Length(JSON.stringify(messages[i])) + 1 // the comma between entries
    if (bytes > maxBytes && i > 0) return messages.slice(0, i)
  }
  return messages
}
