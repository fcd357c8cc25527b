import type { RecordedPush } from '../../fakes/fake-fcm-api'
import { sleep } from './wrangler-dev'

/** What the fake FCM (started by global-setup.ts) recorded for one device token. */
export async function pushesTo(fakeFcmUrl: string, token: string): Promise<RecordedPush[]> {
  const res = await fetch(`${fakeFcmUrl}/_pushes?token=${encodeURIComponent(token)}`)
  if (!res.ok) throw new Error(`fake FCM /_pushes: HTTP ${res.status}`)
  return (await res.json()) as RecordedPush[]
}

/** Polls the fake until `token` has `count` pushes (the relay pushes through its queue, not in the send). */
export async function waitForPushes(
  fakeFcmUrl: string,
  token: string,
  count: number,
  timeoutMs = 20_000,
): Promise<RecordedPush[]> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const pushes = await pushesTo(fakeFcmUrl, token)
    if (pushes.length >= count) return pushes
    if (Date.now() > deadline) throw new Error(`no ${count} push(es) for ${token} within ${timeoutMs} ms`)
    await sleep(200)
  }
}

/** A fresh FCM registration token, shaped like a real one. */
export function newFcmToken(): string {
  const text = Buffer.from(crypto.getRandomValues(new Uint8Array(96))).toString('base64url')
  return `${text.slice(0, 22)}:APA91b${text.slice(22)}`
}
