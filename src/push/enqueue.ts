import type { Config } from '../config'
import type { Env } from '../env'
import type { PushJob } from './push-job'

/** What `enqueuePushes` needs of a committed send. */
export interface CommittedSend {
  sender: string
  messageBox: string
  /** Only the deliveries stored now: an idempotent repeat was pushed when it was first stored. */
  stored: { recipient: string; messageId: string }[]
}

// A Queue's sendBatch takes at most 100 messages.
const MAX_BATCH = 100

/**
 * Queues one push job per recipient of a committed send into a PUSH_BOXES box, when push is on. Called
 * after the commit and outside the response (`waitUntil`): it never throws, so a push problem can neither
 * fail nor delay a send; the message is stored and listed either way.
 */
export async function enqueuePushes(env: Env, config: Config, send: CommittedSend): Promise<void> {
  if (!config.pushBoxes.has(send.messageBox) || send.stored.length === 0) return
  if (!env.FCM_SERVICE_ACCOUNT_JSON) return // push is off
  const jobs: PushJob[] = send.stored.map(({ recipient, messageId }) => ({
    recipient,
    sender: send.sender,
    messageId,
    attempt: 1,
  }))
  try {
    for (let i = 0; i < jobs.length; i += MAX_BATCH) {
      await env.PUSH_QUEUE.sendBatch(jobs.slice(i, i + MAX_BATCH).map((body) => ({ body })))
    }
  } catch (error) {
    console.error('push: enqueue failed; the message is stored, its push is lost:', String(error))
  }
}
