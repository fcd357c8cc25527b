import { createExecutionContext, createMessageBatch, env, getQueueResult } from 'cloudflare:test'
import { describe, expect, it, vi } from 'vitest'
import type { Env } from '../../src/env'
import worker from '../../src/index'
import type { PushJob } from '../../src/push/push-job'
import { MAX_PUSH_ATTEMPTS } from '../../src/push/retry-policy'
import { newClient, type TestClient } from '../helpers/client'
import { deactivate, devicesOf, registerOk } from '../helpers/devices'
import { d1Down } from '../helpers/failing-d1'
import { fakeFcm, newFcmToken, pushEnvFor } from '../helpers/fake-fcm'
import { randomKey } from '../helpers/messages'

// The consumer is called here as the runtime calls it (the Worker's `queue` export, one batch), against
// real D1 and the fake FCM; test/push/push-flow.test.ts covers the way in through /sendMessage and the queue.

interface QueueResult {
  explicitAcks: string[]
  retryMessages: { msgId: string; delaySeconds?: number }[]
}

/** Runs one batch of `jobs` through the Worker's queue handler under `e`, and reports what it acked/retried. */
async function consume(e: Env, ...jobs: unknown[]): Promise<QueueResult> {
  const batch = createMessageBatch<PushJob>(
    'brc33-relay-push',
    jobs.map((body, i) => ({ id: `msg-${i}`, timestamp: new Date(), attempts: 1, body: body as PushJob })),
  )
  const ctx = createExecutionContext()
  await worker.queue(batch, e)
  return (await getQueueResult(batch, ctx)) as QueueResult
}

/** A recipient with `count` registered devices (via POST /registerDevice), tokens in registration order. */
async function recipientWithDevices(
  count: number,
): Promise<{ client: TestClient; tokens: string[]; ids: number[] }> {
  const client = newClient()
  const tokens = Array.from({ length: count }, () => newFcmToken())
  const ids: number[] = []
  for (const fcmToken of tokens) ids.push(await registerOk(client, { fcmToken, platform: 'android' }))
  return { client, tokens, ids }
}

const jobFor = (recipient: string, extra: Partial<PushJob> = {}): PushJob => ({
  recipient,
  sender: randomKey(),
  messageId: `m-${crypto.randomUUID()}`,
  attempt: 1,
  ...extra,
})

/** A relay environment pushing under an account of its own (own token cache, own token count). */
async function freshPushEnv() {
  const account = await fakeFcm.newAccount({ projectId: `p-${crypto.randomUUID().slice(0, 8)}` })
  return { account, env: pushEnvFor(account) }
}

describe('push consumer: delivery', () => {
  it('sends the contract payload, one request per active device, and sets lastUsed on success', async () => {
    const { client, tokens, ids } = await recipientWithDevices(3)
    await deactivate(ids[2]!)
    const { env: e, account } = await freshPushEnv()
    const job = jobFor(client.identityKey)

    const result = await consume(e, job)

    expect(result.explicitAcks).toEqual(['msg-0'])
    for (const token of tokens.slice(0, 2)) {
      const pushes = await fakeFcm.pushes(token)
      expect(pushes).toHaveLength(1)
      expect(pushes[0]!.projectId).toBe(account.projectId)
      expect(pushes[0]!.body).toEqual({
        message: {
          token,
          notification: { title: 'New Message', body: job.messageId },
          data: { messageId: job.messageId, originator: job.sender },
          android: { priority: 'high' },
          apns: {
            headers: { 'apns-push-type': 'alert', 'apns-priority': '10' },
            payload: { aps: { 'mutable-content': 1 } },
          },
        },
      })
    }
    expect(await fakeFcm.attempts(tokens[2]!)).toEqual([])
    const listed = await devicesOf(client)
    expect(listed.map((d) => [d.id, d.active, d.lastUsed === null])).toEqual([
      [ids[2], false, true],
      [ids[1], true, false],
      [ids[0], true, false],
    ])
  })

  it('a retry job (deviceIds) pushes only to those devices', async () => {
    const { client, tokens, ids } = await recipientWithDevices(3)
    await consume(env, jobFor(client.identityKey, { attempt: 2, deviceIds: [ids[1]!] }))
    expect((await fakeFcm.pushes(tokens[1]!)).length).toBe(1)
    expect(await fakeFcm.attempts(tokens[0]!)).toEqual([])
    expect(await fakeFcm.attempts(tokens[2]!)).toEqual([])
  })

  it('a recipient without devices: acked, nothing sent, no token fetched', async () => {
    const { env: e, account } = await freshPushEnv()
    expect((await consume(e, jobFor(randomKey()))).explicitAcks).toEqual(['msg-0'])
    expect(await fakeFcm.tokenRequests(account.clientEmail)).toEqual([])
  })

  it('holds at most 6 sends in flight at once', async () => {
    const { client, tokens } = await recipientWithDevices(9)
    for (const token of tokens) await fakeFcm.script(token, { ok: true, delayMs: 300 })
    const { env: e, account } = await freshPushEnv()
    await consume(e, jobFor(client.identityKey))
    for (const token of tokens) expect(await fakeFcm.pushes(token)).toHaveLength(1)
    expect(await fakeFcm.maxConcurrency(account.projectId)).toBe(6)
  })

  it('pushes to at most MAX_DEVICES_PER_IDENTITY devices, the most recently updated', async () => {
    const { client, tokens } = await recipientWithDevices(3)
    await consume({ ...env, MAX_DEVICES_PER_IDENTITY: '2' }, jobFor(client.identityKey))
    expect(await fakeFcm.attempts(tokens[0]!)).toEqual([])
    expect(await fakeFcm.pushes(tokens[1]!)).toHaveLength(1)
    expect(await fakeFcm.pushes(tokens[2]!)).toHaveLength(1)
  })
})

describe('push consumer: access token', () => {
  it('the assertion the fake verified (RS256 over the account key) carries kid, aud = token_uri and the FCM scope', async () => {
    const { client } = await recipientWithDevices(1)
    const { env: e, account } = await freshPushEnv()
    await consume(e, jobFor(client.identityKey))
    const file = JSON.parse(account.serviceAccountJson) as Record<string, string>
    expect(await fakeFcm.tokenRequests(account.clientEmail)).toEqual([
      {
        iss: account.clientEmail,
        aud: file.token_uri,
        kid: file.private_key_id,
        scope: 'https://www.googleapis.com/auth/firebase.messaging',
        at: expect.any(Number),
      },
    ])
  })

  it('an account without private_key_id signs without kid', async () => {
    const { client, tokens } = await recipientWithDevices(1)
    const account = await fakeFcm.newAccount({ projectId: 'no-kid-project', privateKeyId: null })
    await consume(pushEnvFor(account), jobFor(client.identityKey))
    expect((await fakeFcm.tokenRequests(account.clientEmail)).map((t) => t.kid)).toEqual([null])
    expect(await fakeFcm.pushes(tokens[0]!)).toHaveLength(1)
  })

  it('is fetched once and reused: two jobs to several devices make one token request', async () => {
    const [first, second] = [await recipientWithDevices(3), await recipientWithDevices(2)]
    const { env: e, account } = await freshPushEnv()
    await consume(e, jobFor(first.client.identityKey))
    await consume(e, jobFor(second.client.identityKey))
    expect(await fakeFcm.tokenRequests(account.clientEmail)).toHaveLength(1)
    for (const token of [...first.tokens, ...second.tokens])
      expect(await fakeFcm.pushes(token)).toHaveLength(1)
  })

  it('401 UNAUTHENTICATED (token revoked): fetches a new token once and retries the send once', async () => {
    const { client, tokens } = await recipientWithDevices(1)
    const { env: e, account } = await freshPushEnv()
    await consume(e, jobFor(client.identityKey))
    await fakeFcm.revoke(account.clientEmail)
    await consume(e, jobFor(client.identityKey))

    expect((await fakeFcm.attempts(tokens[0]!)).map((a) => a.status)).toEqual([200, 401, 200])
    expect(await fakeFcm.pushes(tokens[0]!)).toHaveLength(2)
    expect(await fakeFcm.tokenRequests(account.clientEmail)).toHaveLength(2)
  })

  it('a second 401 after the refresh is not retried again, and the device stays active', async () => {
    const { client, tokens } = await recipientWithDevices(1)
    const { env: e, account } = await freshPushEnv()
    await fakeFcm.script(tokens[0]!, { error: 'UNAUTHENTICATED' }, { error: 'UNAUTHENTICATED' })
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
    try {
      expect((await consume(e, jobFor(client.identityKey))).explicitAcks).toEqual(['msg-0'])
    } finally {
      logged.mockRestore()
    }
    expect((await fakeFcm.attempts(tokens[0]!)).map((a) => a.status)).toEqual([401, 401])
    expect(await fakeFcm.tokenRequests(account.clientEmail)).toHaveLength(2)
    expect((await devicesOf(client))[0]!.active).toBe(true)
  })

  it('a token endpoint that refuses the grant: nothing is sent, the device stays active, the job is acked', async () => {
    const { client, tokens } = await recipientWithDevices(1)
    const account = await fakeFcm.newAccount({ projectId: 'refused-project' })
    // The fake trusts only the key it issued with that account; this file's key is another one.
    const other = JSON.parse(env.FCM_SERVICE_ACCOUNT_JSON) as Record<string, string>
    const forged = JSON.stringify({
      ...JSON.parse(account.serviceAccountJson),
      private_key: other.private_key,
    })
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
    try {
      const result = await consume(
        pushEnvFor({ ...account, serviceAccountJson: forged }),
        jobFor(client.identityKey),
      )
      expect(result.explicitAcks).toEqual(['msg-0'])
      expect(logged.mock.calls.flat().join(' ')).toMatch(/token endpoint answered 400.*invalid_grant/)
    } finally {
      logged.mockRestore()
    }
    expect(await fakeFcm.attempts(tokens[0]!)).toEqual([])
    expect((await devicesOf(client))[0]!.active).toBe(true)
  })
})

describe('push consumer: FCM errors (docs/payments-and-push.md B3)', () => {
  const cases = [
    { answer: 'UNREGISTERED', status: 404, deactivates: true },
    { answer: 'INVALID_TOKEN', status: 400, deactivates: true },
    { answer: 'SENDER_ID_MISMATCH', status: 403, deactivates: true },
    { answer: 'INVALID_PAYLOAD', status: 400, deactivates: false },
    { answer: 'PERMISSION_DENIED', status: 403, deactivates: false },
    { answer: 'THIRD_PARTY_AUTH_ERROR', status: 401, deactivates: false },
    { answer: 'NOT_FOUND_NO_DETAILS', status: 404, deactivates: false },
  ] as const
  for (const { answer, status, deactivates } of cases) {
    it(`${status} ${answer} → ${deactivates ? 'the device becomes inactive' : 'the device stays active'}; other devices unaffected`, async () => {
      const { client, tokens, ids } = await recipientWithDevices(2)
      await fakeFcm.script(tokens[0]!, { error: answer })
      const quiet = vi.spyOn(console, 'error').mockImplementation(() => {})
      try {
        expect((await consume(env, jobFor(client.identityKey))).explicitAcks).toEqual(['msg-0'])
      } finally {
        quiet.mockRestore()
      }
      expect((await fakeFcm.attempts(tokens[0]!)).map((a) => a.status)).toEqual([status])
      const listed = await devicesOf(client)
      const failed = listed.find((d) => d.id === ids[0])!
      const other = listed.find((d) => d.id === ids[1])!
      expect([failed.active, failed.lastUsed]).toEqual([!deactivates, null])
      expect([other.active, typeof other.lastUsed]).toEqual([true, 'string'])
    })
  }

  it('an inactive device gets no further pushes until it is registered again', async () => {
    const { client, tokens } = await recipientWithDevices(1)
    await fakeFcm.script(tokens[0]!, { error: 'UNREGISTERED' })
    await consume(env, jobFor(client.identityKey))
    await consume(env, jobFor(client.identityKey))
    expect(await fakeFcm.attempts(tokens[0]!)).toHaveLength(1)
    await registerOk(client, { fcmToken: tokens[0]! })
    await consume(env, jobFor(client.identityKey))
    expect(await fakeFcm.pushes(tokens[0]!)).toHaveLength(1)
  })

  it('503 with Retry-After: only the failed device is pushed again, by a follow-up job after that delay', async () => {
    const { client, tokens } = await recipientWithDevices(2)
    await fakeFcm.script(tokens[0]!, { error: 'UNAVAILABLE', retryAfter: 1 })
    const warned = vi.spyOn(console, 'warn').mockImplementation(() => {})
    try {
      await consume(env, jobFor(client.identityKey))
    } finally {
      warned.mockRestore()
    }
    // The follow-up goes through the real PUSH_QUEUE to this Worker's consumer.
    const [retried] = await fakeFcm.waitForPushes(tokens[0]!, 1)
    const attempts = await fakeFcm.attempts(tokens[0]!)
    expect(attempts.map((a) => a.status)).toEqual([503, 200])
    expect(retried!.at - attempts[0]!.at).toBeGreaterThanOrEqual(900)
    expect((await fakeFcm.attempts(tokens[1]!)).map((a) => a.status)).toEqual([200])
    expect((await devicesOf(client)).every((d) => d.active)).toBe(true)
  })

  for (const answer of ['QUOTA_EXCEEDED', 'INTERNAL'] as const) {
    it(`${answer} is transient too: the device stays active and is pushed again after Retry-After`, async () => {
      const { client, tokens } = await recipientWithDevices(1)
      await fakeFcm.script(tokens[0]!, { error: answer, retryAfter: 1 })
      const warned = vi.spyOn(console, 'warn').mockImplementation(() => {})
      try {
        await consume(env, jobFor(client.identityKey))
      } finally {
        warned.mockRestore()
      }
      await fakeFcm.waitForPushes(tokens[0]!, 1)
      expect((await devicesOf(client))[0]!.active).toBe(true)
    })
  }

  it(`gives up (logged) when attempt ${MAX_PUSH_ATTEMPTS} fails transiently: no follow-up job`, async () => {
    const { client, tokens } = await recipientWithDevices(1)
    // Should a follow-up be queued anyway, this second answer would let it through and the test would see it.
    await fakeFcm.script(tokens[0]!, { error: 'UNAVAILABLE', retryAfter: 1 }, { ok: true })
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
    const warned = vi.spyOn(console, 'warn').mockImplementation(() => {})
    try {
      await consume(env, jobFor(client.identityKey, { attempt: MAX_PUSH_ATTEMPTS }))
      expect(logged.mock.calls.flat().join(' ')).toMatch(/giving up/)
    } finally {
      logged.mockRestore()
      warned.mockRestore()
    }
    await new Promise((done) => setTimeout(done, 3000))
    expect(await fakeFcm.attempts(tokens[0]!)).toHaveLength(1)
  })

  it('FCM unreachable (connection cut): the device stays active and the job is acked', async () => {
    const { client, tokens } = await recipientWithDevices(1)
    await fakeFcm.script(tokens[0]!, { disconnect: true })
    const warned = vi.spyOn(console, 'warn').mockImplementation(() => {})
    try {
      expect((await consume(env, jobFor(client.identityKey))).explicitAcks).toEqual(['msg-0'])
      expect(warned.mock.calls.flat().join(' ')).toMatch(/transient ×1 \(FCM unreachable/)
    } finally {
      warned.mockRestore()
    }
    expect((await fakeFcm.attempts(tokens[0]!)).map((a) => a.status)).toEqual([0])
    expect((await devicesOf(client))[0]).toMatchObject({ active: true, lastUsed: null })
  })

  it('token endpoint and FCM both down for the project: nothing sent, the device stays active, the job is acked', async () => {
    const { client, tokens } = await recipientWithDevices(1)
    const { env: e, account } = await freshPushEnv()
    await fakeFcm.down(account.projectId)
    const warned = vi.spyOn(console, 'warn').mockImplementation(() => {})
    try {
      expect((await consume(e, jobFor(client.identityKey))).explicitAcks).toEqual(['msg-0'])
      expect(warned.mock.calls.flat().join(' ')).toMatch(/token endpoint unreachable/)
    } finally {
      warned.mockRestore()
      await fakeFcm.down(account.projectId, false)
    }
    expect(await fakeFcm.attempts(tokens[0]!)).toEqual([])
    expect((await devicesOf(client))[0]!.active).toBe(true)
  })
})

describe('push consumer: failures and push off', () => {
  it('D1 unavailable: the message is retried by the queue and nothing is sent', async () => {
    const { client, tokens } = await recipientWithDevices(1)
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {})
    try {
      const result = await consume({ ...env, DB: d1Down(env.DB) }, jobFor(client.identityKey))
      expect(result.explicitAcks).toEqual([])
      expect(result.retryMessages.map((m) => m.msgId)).toEqual(['msg-0'])
    } finally {
      quiet.mockRestore()
    }
    expect(await fakeFcm.attempts(tokens[0]!)).toEqual([])
  })

  it('a malformed job is acked and logged; the other jobs of the batch are still pushed', async () => {
    const { client, tokens } = await recipientWithDevices(1)
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
    try {
      const result = await consume(env, { recipient: 42 }, jobFor(client.identityKey))
      expect(result.explicitAcks.sort()).toEqual(['msg-0', 'msg-1'])
      expect(logged.mock.calls.flat().join(' ')).toMatch(/not a push job/)
    } finally {
      logged.mockRestore()
    }
    expect(await fakeFcm.pushes(tokens[0]!)).toHaveLength(1)
  })

  it('push off (no FCM_SERVICE_ACCOUNT_JSON): jobs are acked and nothing is sent', async () => {
    const { client, tokens } = await recipientWithDevices(1)
    const result = await consume({ ...env, FCM_SERVICE_ACCOUNT_JSON: '' }, jobFor(client.identityKey))
    expect(result.explicitAcks).toEqual(['msg-0'])
    expect(await fakeFcm.attempts(tokens[0]!)).toEqual([])
  })

  it('an unusable FCM_SERVICE_ACCOUNT_JSON: jobs are acked, the problem logged, nothing sent', async () => {
    const { client, tokens } = await recipientWithDevices(1)
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
    try {
      const result = await consume(
        { ...env, FCM_SERVICE_ACCOUNT_JSON: '{"project_id":"x"}' },
        jobFor(client.identityKey),
      )
      expect(result.explicitAcks).toEqual(['msg-0'])
      expect(logged.mock.calls.flat().join(' ')).toMatch(/FCM_SERVICE_ACCOUNT_JSON has no client_email/)
    } finally {
      logged.mockRestore()
    }
    expect(await fakeFcm.attempts(tokens[0]!)).toEqual([])
  })
})
