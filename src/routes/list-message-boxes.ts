import { Hono } from 'hono'
import { boxesOf } from '../db/messages'
import type { AppEnv } from '../http/context'
import { validateBody } from '../validation/validate'

/**
 * `POST /listMessageBoxes`: every box holding the caller's unexpired messages, with counts and sizes.
 * Listing needs a box name; without this, messages sent into a box the recipient does not know of would be
 * invisible and hold its quota until they expire.
 */
export const listMessageBoxes = new Hono<AppEnv>().post('/listMessageBoxes', async (c) => {
  validateBody(c, () => ({})) // any JSON object; its fields are ignored
  const boxes = await boxesOf(c.var.db, c.var.identityKey, Date.now())
  return c.json({ status: 'success', messageBoxes: boxes })
})
