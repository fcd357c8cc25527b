import { env } from 'cloudflare:test'
import type { RecordedPush, ScriptedAnswer, SendAttempt, TokenRequest } from '../fakes/fake-fcm-api'
import { controlFake } from './fake-control'

/**
 * The fake FCM (started by test/vitest.config.ts in Node) as tests inside workerd see it: what arrived,
 * and how it should answer. It is shared by every test file running at once, so tests only ever look at
 * their own fresh device tokens and accounts.
 */
export const fakeFcm = {
  pushes: (token: string) => control<RecordedPush[]>('GET', `/_pushes?token=${encodeURIComponent(token)}`),
  attempts: (token: string) => control<SendAttempt[]>('GET', `/_attempts?token=${encodeURIComponent(token)}`),
  tokenRequests: (iss: string) =>
    control<TokenRequest[]>('GET', `/_token-requests?iss=${encodeURIComponent(iss)}`),
  script: (token: string, ...answers: ScriptedAnswer[]) =>
    control<void>('POST', '/_script', { token, answers }),
  maxConcurrency: async (projectId: string) =>
    (await control<{ max: number }>('GET', `/_concurrency?projectId=${encodeURIComponent(projectId)}`)).max,
  revoke: (iss: string) => control<void>('POST', '/_revoke', { iss }),
  down: (projectId: string, down = true) => control<void>('POST', '/_down', { projectId, down }),
  /** A service account of its own: its own token cache in the relay, its own token-request count. */
  newAccount: (options: { projectId?: string; privateKeyId?: string | null } = {}) =>
    control<{ serviceAccountJson: string; clientEmail: string; projectId: string }>(
      'POST',
      '/_accounts',
      options,
    ),

  /** Polls until `token` has received at least `count` pushes, then returns them all. */
  async waitForPushes(token: string, count: number, timeoutMs = 15_000): Promise<RecordedPush[]> {
    return poll(`${count} push(es) for ${token}`, timeoutMs, async () => {
      const pushes = await fakeFcm.pushes(token)
      return pushes.length >= count ? pushes : null
    })
  },

  /** Polls until `token` has seen at least `count` send attempts (whatever they were answered). */
  async waitForAttempts(token: string, count: number, timeoutMs = 15_000): Promise<SendAttempt[]> {
    return poll(`${count} attempt(s) for ${token}`, timeoutMs, async () => {
      const attempts = await fakeFcm.attempts(token)
      return attempts.length >= count ? attempts : null
    })
  },
}

/** The environment of a relay whose push goes out under `account` (a fresh one from `newAccount`). */
export function pushEnvFor(account: { serviceAccountJson: string; projectId: string }) {
  return {
    ...env,
    FCM_SERVICE_ACCOUNT_JSON: account.serviceAccountJson,
    FCM_SEND_URL: `${env.FAKE_FCM_URL}/v1/projects/${account.projectId}/messages:send`,
  }
}

/** A fresh FCM registration token, shaped like a real one (`<instance id>:APA91b<…>`). */
export function newFcmToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(96))
  const text = btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')
  return `${text.slice(0, 22)}:APA91b${text.slice(22)}`
}

function control<T>(method: string, path: string, body?: unknown): Promise<T> {
  return controlFake<T>({ name: 'fake FCM', url: env.FAKE_FCM_URL }, method, path, body)
}

async function poll<T>(what: string, timeoutMs: number, check: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const found = await check()
    if (found !== null) return found
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`)
    await new Promise((done) => setTimeout(done, 100))
  }
}
