import { env } from 'cloudflare:test'
import type { TestClient } from './client'
import { type Body, expectResponse } from './messages'

/** POSTs /registerDevice, expects 200 and returns the row id it answered. */
export async function registerOk(client: TestClient, body: Body): Promise<number> {
  const answer = await expectResponse(await client.post('/registerDevice', body), 200)
  return answer.deviceId as number
}

/** GET /devices, expects 200 and returns the listed devices. */
export async function devicesOf(client: TestClient): Promise<Body[]> {
  return (await expectResponse(await client.fetch('/devices', { method: 'GET' }), 200)).devices as Body[]
}

/** An identity's rows straight from D1 (full tokens), oldest id first. */
export async function storedDevices(identityKey: string) {
  const { results } = await env.DB.prepare(
    'SELECT id, fcm_token, device_id, platform, active, created_at, updated_at, last_used FROM devices WHERE identity_key = ? ORDER BY id',
  )
    .bind(identityKey)
    .all<{
      id: number
      fcm_token: string
      device_id: string | null
      platform: string | null
      active: number
      created_at: number
      updated_at: number
      last_used: number | null
    }>()
  return results
}

/** Test set-up: marks a registration inactive, as an UNREGISTERED answer from FCM would. */
export async function deactivate(id: number): Promise<void> {
  await env.DB.prepare('UPDATE devices SET active = 0 WHERE id = ?').bind(id).run()
}
