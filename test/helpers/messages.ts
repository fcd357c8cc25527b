import { PrivateKey } from '@bsv/sdk'
import { env } from 'cloudflare:test'
import { expect } from 'vitest'
import type { TestClient } from './client'

/** A JSON body of any shape, as the routes answer it. */
export type Body = Record<string, any>

/** Reads `res` as JSON and asserts its status (and error code), with the body in the failure message. */
export async function expectResponse(res: Response, status: number, code?: string): Promise<Body> {
  const text = await res.text()
  expect(res.status, `HTTP ${res.status}: ${text.slice(0, 500)}`).toBe(status)
  expect(text.length, 'authenticated responses are never empty').toBeGreaterThan(0)
  const body = JSON.parse(text) as Body
  if (code) expect(body, text.slice(0, 500)).toMatchObject({ status: 'error', code })
  else expect(body.status, text.slice(0, 500)).toBe('success')
  return body
}

/** POSTs /sendMessage with `message` and expects 200. */
export async function sendOk(from: TestClient, message: Body, extra: Body = {}): Promise<Body> {
  return expectResponse(await from.post('/sendMessage', { message, ...extra }), 200)
}

/** POSTs /listMessages and expects 200. */
export async function listOk(client: TestClient, request: Body): Promise<Body> {
  return expectResponse(await client.post('/listMessages', request), 200)
}

/** A fresh identity key nobody holds a client for (a recipient that never lists). */
export function randomKey(): string {
  return PrivateKey.fromRandom().toPublicKey().toString()
}

/** Stored rows for a recipient, straight from D1 (what the relay kept, not what it answered), bodies joined in. */
export async function storedFor(recipient: string) {
  // LEFT JOIN: a row whose body went missing would show `body: null` rather than vanish from the result.
  const { results } = await env.DB.prepare(
    `SELECT m.message_id, m.sender, m.message_box, b.body || coalesce(m.body_suffix, '') AS body, m.expires_at
     FROM messages AS m LEFT JOIN message_bodies AS b ON b.id = m.body_id
     WHERE m.recipient = ? ORDER BY m.seq`,
  )
    .bind(recipient)
    .all<{ message_id: string; sender: string; message_box: string; body: string; expires_at: number }>()
  return results
}

/** How many bodies are stored, all senders together. */
export async function countBodies(): Promise<number> {
  return (await env.DB.prepare('SELECT count(*) AS n FROM message_bodies').first<number>('n')) ?? 0
}

/** Writes `count` waiting messages for `recipient` directly into D1 (fast set-up for quota and paging). */
export async function fillBox(
  recipient: string,
  messageBox: string,
  count: number,
  expiresAt = Number.MAX_SAFE_INTEGER,
) {
  await insertDirect({ recipient, messageBox, count, expiresAt })
}

/**
 * Writes `count` messages `${idPrefix}1`… for `recipient` (who is also their sender) directly into D1, each
 * with its own body: `bodySql`, an SQL expression over `i` (1-based), `'filler ' || i` by default.
 */
export async function insertDirect(options: {
  recipient: string
  messageBox: string
  count: number
  expiresAt?: number
  idPrefix?: string
  bodySql?: string
}) {
  const { recipient, messageBox, count, expiresAt = Number.MAX_SAFE_INTEGER } = options
  const n = 'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)'
  // One transaction, and ids under AUTOINCREMENT are consecutive: body i is (largest id) - count + i.
  await env.DB.batch([
    env.DB.prepare(
      `${n} INSERT INTO message_bodies (body) SELECT ${options.bodySql ?? "'filler ' || i"} FROM n`,
    ).bind(count),
    env.DB.prepare(
      `${n} INSERT INTO messages (message_id, recipient, message_box, sender, body_id, created_at, expires_at, size)
       SELECT ?6 || i, ?2, ?3, ?2, (SELECT max(id) FROM message_bodies) - ?1 + i, ?4, ?5,
         (SELECT octet_length(body) FROM message_bodies WHERE id = (SELECT max(id) FROM message_bodies) - ?1 + i)
       FROM n`,
    ).bind(count, recipient, messageBox, Date.now(), expiresAt, options.idPrefix ?? 'fill-'),
  ])
}
