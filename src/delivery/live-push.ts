import type { StoredForm } from '../db/messages'
import type { Env } from '../env'
import { mailbox } from '../objects/stubs'

/**
 * Pushes each newly stored message to its recipient's live connections in that box, through the
 * recipient's Mailbox (the one place that knows its rooms). Called after the commit and outside the
 * response, for the recipients `live_presence` shows connected: it never throws, and a recipient with no
 * connection is not an error (the message waits in D1 and is listed as always).
 */
export async function pushLive(
  env: Env,
  send: { sender: string; messageBox: string; stored: { recipient: string; messageId: string }[] },
  form: StoredForm,
): Promise<void> {
  await Promise.all(
    send.stored.map(async ({ recipient, messageId }) => {
      const body = form.body + (form.suffixes?.get(recipient) ?? '')
      try {
        await mailbox(env, recipient).pushLive(recipient, send.messageBox, {
          sender: send.sender,
          messageId,
          body,
        })
      } catch (error) {
        console.warn('live push failed; the message is stored and listed:', String(error))
      }
    }),
  )
}
