import { Hono } from 'hono'
import { objectUnavailable } from '../db/storage-errors'
import type { AppEnv } from '../http/context'
import { RelayError } from '../errors'
import { mailbox } from '../objects/stubs'
import { acknowledgeMessageRequest } from '../validation/acknowledge-message'
import { validateBody } from '../validation/validate'

/** `POST /acknowledgeMessage`: deletes the caller's messages by id, serialized in the caller's Mailbox. */
export const acknowledgeMessage = new Hono<AppEnv>().post('/acknowledgeMessage', async (c) => {
  const { messageIds } = validateBody(c, acknowledgeMessageRequest)
  const me = c.var.identityKey
  const acknowledged = await mailbox(c.env, me)
    .acknowledge(me, messageIds)
    .catch((error: unknown) => {
      throw objectUnavailable('acknowledge', error)
    })
  if (acknowledged === 0) throw new RelayError('ERR_INVALID_ACKNOWLEDGMENT', 'Message not found!')
  return c.json({ status: 'success', acknowledged })
})
