import { readConfig } from '../config'
import { createDb } from '../db/client'
import { activeDevices, type PushTarget, recordPushOutcomes } from '../db/devices'
import type { Env } from '../env'
import { RelayError } from '../errors'
import { sendPush } from './fcm-client'
import { type FcmConfig, readFcmConfig } from './fcm-config'
import type { FcmOutcome } from './fcm-outcome'
import { mapBounded } from './map-bounded'
import type { PushJob } from './push-job'
import { MAX_PUSH_ATTEMPTS, retryDelaySeconds } from './retry-policy'

// A Worker may hold six connections open at once; more would only queue inside the runtime.
const MAX_PARALLEL_SENDS = 6

/**
 * The PUSH_QUEUE consumer: each job pushes one committed message to its recipient's active devices.
 * Every message is acknowledged, whatever happened to its pushes, except when D1 could not say which
 * devices to push to: that job is retried by the queue. Push off (no credentials) or misconfigured:
 * jobs are dropped (the messages themselves are stored and listed either way).
 */
export async function pushConsumer(batch: MessageBatch<PushJob>, env: Env): Promise<void> {
  const config = configOrNull(env)
  for (const message of batch.messages) {
    if (config === null) {
      message.ack()
      continue
    }
    try {
      await runJob(env, config, message.body)
      message.ack()
    } catch (error) {
      if (error instanceof RelayError && error.code === 'ERR_STORAGE_UNAVAILABLE') {
        // Nothing was sent yet (the failing read comes first), so a retry cannot push twice.
        message.retry({ delaySeconds: retryDelaySeconds(message.attempts, null) })
      } else {
        console.error(
          `push: job for message ${JSON.stringify(message.body?.messageId)} dropped:`,
          String(error),
        )
        message.ack()
      }
    }
  }
}

function configOrNull(env: Env): FcmConfig | null {
  try {
    return readFcmConfig(env)
  } catch {
    return null // readFcmConfig logged what is wrong
  }
}

async function runJob(env: Env, config: FcmConfig, job: PushJob): Promise<void> {
  if (!isPushJob(job)) throw new Error(`not a push job: ${JSON.stringify(job).slice(0, 200)}`)
  const db = createDb(env.DB)
  const cap = readConfig(env).maxDevicesPerIdentity
  const targets = await activeDevices(db, job.recipient, cap, job.deviceIds)
  if (targets.length === 0) return
  const outcomes = await mapBounded(targets, MAX_PARALLEL_SENDS, (device) =>
    sendPush(config, device.fcmToken, job),
  )
  const of = (kind: FcmOutcome['kind']) => targets.filter((_, i) => outcomes[i]!.kind === kind)
  logProblems(job, outcomes)
  try {
    await recordPushOutcomes(db, {
      delivered: of('ok').map((d) => d.id),
      invalid: of('token-invalid'),
      now: Date.now(),
    })
  } catch {
    // Logged by guardStorage. Not retried: the pushes went out, and a retry would send them again. A dead
    // token is reported again (and deactivated then) by the next push to it.
  }
  await retryTransient(env, job, of('transient'), outcomes)
}

/** Queues one follow-up job for the devices that failed transiently, or gives up after the last attempt. */
async function retryTransient(env: Env, job: PushJob, failed: PushTarget[], outcomes: FcmOutcome[]) {
  if (failed.length === 0) return
  if (job.attempt >= MAX_PUSH_ATTEMPTS) {
    console.error(
      `push: message ${job.messageId} not delivered to ${failed.length} device(s) after ${job.attempt} attempts; giving up`,
    )
    return
  }
  // The longest Retry-After FCM asked for, if any asked.
  const asked = outcomes.map((o) => (o.kind === 'transient' ? o.retryAfterSeconds : null))
  const retryAfter = asked.reduce<number | null>((max, s) => (s === null ? max : Math.max(max ?? 0, s)), null)
  const next: PushJob = { ...job, attempt: job.attempt + 1, deviceIds: failed.map((d) => d.id) }
  try {
    await env.PUSH_QUEUE.send(next, { delaySeconds: retryDelaySeconds(job.attempt, retryAfter) })
  } catch (error) {
    console.error(
      `push: could not queue the retry for message ${job.messageId}; its push is lost:`,
      String(error),
    )
  }
}

/** One line per job with problems: counts, and the first reason of each kind. */
function logProblems(job: PushJob, outcomes: FcmOutcome[]) {
  const problems = new Map<string, { count: number; reason: string }>()
  for (const outcome of outcomes) {
    if (outcome.kind === 'ok') continue
    const seen = problems.get(outcome.kind)
    if (seen) seen.count++
    else problems.set(outcome.kind, { count: 1, reason: outcome.reason })
  }
  if (problems.size === 0) return
  const summary = [...problems].map(
    ([kind, { count, reason }]) => `${kind} ×${count} (${reason.slice(0, 300)})`,
  )
  const log = problems.has('keep') ? console.error : console.warn
  log(`push: message ${job.messageId}, attempt ${job.attempt}: ${summary.join('; ')}`)
}

function isPushJob(job: unknown): job is PushJob {
  const j = job as Partial<PushJob> | null
  return (
    typeof j?.recipient === 'string' &&
    typeof j.sender === 'string' &&
    typeof j.messageId === 'string' &&
    Number.isSafeInteger(j.attempt) &&
    (j.deviceIds === undefined || (Array.isArray(j.deviceIds) && j.deviceIds.every(Number.isSafeInteger)))
  )
}
