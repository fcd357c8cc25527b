import { Hono } from 'hono'
import { readConfig } from '../config'
import { createDb } from '../db/client'
import { type ListedMessage, listForRecipient } from '../db/messages'
import type { AppEnv } from '../env'
import { canonicalCaller } from '../validation/identity-key'
import { listMessagesRequest } from '../validation/list-messages'
import { validateBody } from '../validation/validate'

/** `POST /listMessages`: one page of the caller's own unexpired messages in one box, oldest first. */
export const listMessages = new Hono<AppEnv>().post('/listMessages', async (c) => {
  const { messageBox, limit, offset } = validateBody(c, listMessagesRequest)
  const me = canonicalCaller(c.var.identityKey)
  const maxBytes = readConfig(c.env).maxListBodyBytes
  const page = await listForRecipient(createDb(c.env.DB), me, messageBox, {
    limit,
    offset,
    now: Date.now(),
    maxBytes,
  })
  const nextOffset = page.hasMore ? offset + page.messages.length : null
  return c.json({
    status: 'success',
    messages: page.messages.map(listed),
    limit,
    offset,
    hasMore: page.hasMore,
    nextOffset,
  })
})

/** Both timestamp spellings: the reference sends camelCase, the client's types and older servers snake_case. */
function listed({ messageId, body, sender, createdAt }: ListedMessage) {
  const at = new Date(createdAt).toISOString()
  // Messages are never edited, so updated equals created.
  return { messageId, body, sender, createdAt: at, updatedAt: at, created_at: at, updated_at: at }
}
