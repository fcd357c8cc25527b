import { Hono } from 'hono'
import type { DeliveryResult } from '../db/messages'
import { runSend } from '../delivery/send-pipeline'
import type { AppEnv } from '../http/context'
import { networkId } from '../http/client-network'
import { sendMessageRequest } from '../validation/send-message'
import { validateBody } from '../validation/validate'

/** `POST /sendMessage`: stores one body for every recipient or for none (docs/contract.md). */
export const sendMessage = new Hono<AppEnv>().post('/sendMessage', async (c) => {
  const request = validateBody(c, sendMessageRequest)
  const sender = c.var.identityKey
  const network = await networkId(c.var.serverKey.networkKey, c.req.header('cf-connecting-ip') ?? null)
  const scope = { env: c.env, config: c.var.config, db: c.var.db, serverKey: c.var.serverKey }
  const results = await runSend(scope, request, { sender, network }, (work) => c.executionCtx.waitUntil(work))
  return c.json(sentBody(results))
})

function sentBody(results: DeliveryResult[]) {
  return {
    status: 'success',
    message: `Your message has been sent to ${results.length} recipient(s).`,
    results: results.map(({ recipient, messageId, duplicate }) =>
      duplicate ? { recipient, messageId, duplicate } : { recipient, messageId },
    ),
    // The reference answers a single-recipient send with its id at the top level.
    ...(results.length === 1 ? { messageId: results[0]!.messageId } : {}),
  }
}
