import { env } from 'cloudflare:test'
import type { TestClient } from './client'
import { type Body, expectResponse } from './messages'

/** POSTs /permissions/set and expects 200. */
export async function setOk(client: TestClient, request: Body): Promise<Body> {
  return expectResponse(await client.post('/permissions/set', request), 200)
}

/** GETs `path` with `query` (a repeated key as an array) through the client. */
export function getWith(client: TestClient, path: string, query: Record<string, string | string[]>) {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    for (const one of Array.isArray(value) ? value : [value]) params.append(key, one)
  }
  return client.fetch(`${path}?${params}`, { method: 'GET' })
}

/** GETs `path` with `query` and expects 200. */
export async function getOk(client: TestClient, path: string, query: Record<string, string | string[]>) {
  return expectResponse(await getWith(client, path, query), 200)
}

/** The permission rows stored for `owner`, straight from D1 (what the relay kept, not what it answered). */
export async function storedRules(owner: string) {
  const { results } = await env.DB.prepare(
    'SELECT message_box, sender, recipient_fee, created_at, updated_at FROM permissions WHERE owner = ? ORDER BY message_box, sender',
  )
    .bind(owner)
    .all<{
      message_box: string
      sender: string
      recipient_fee: number
      created_at: number
      updated_at: number
    }>()
  return results
}
