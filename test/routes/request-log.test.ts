import { SELF } from 'cloudflare:test'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type FetchLike, newClient } from '../helpers/client'
import { RELAY_ORIGIN } from '../helpers/relay'
import { relayWithEnv } from '../helpers/relay-with-env'

// Every answer carries `x-request-id`; error bodies carry the same id; each request writes one JSON log line
// (request id, method, path, status, duration, caller shortened, error code) and nothing secret.

const ID = /^[0-9a-f]{16}$/

/** A real client whose answers are also kept as they came off the wire (AuthFetch rebuilds the Response it returns). */
function wireClient(fetch: FetchLike = (input, init) => SELF.fetch(input, init)) {
  const wire: Response[] = []
  const client = newClient({
    fetch: async (input, init) => {
      const res = await fetch(input, init)
      wire.push(res.clone())
      return res
    },
  })
  return { client, lastOnWire: () => wire.at(-1)! }
}

describe('request ids', () => {
  it('every kind of answer has an x-request-id, different for every request', async () => {
    const { client, lastOnWire } = wireClient()
    const answers = [
      await SELF.fetch(`${RELAY_ORIGIN}/health`),
      await SELF.fetch(`${RELAY_ORIGIN}/`),
      await SELF.fetch(`${RELAY_ORIGIN}/sendMessage`, { method: 'POST', body: '{}' }), // unsigned 401
      await SELF.fetch(`${RELAY_ORIGIN}/health`, { method: 'OPTIONS' }),
      await SELF.fetch(`${RELAY_ORIGIN}/socket.io/?EIO=4&transport=polling`),
    ]
    await client.post('/listMessages', { messageBox: 'inbox' }) // signed 200
    answers.push(lastOnWire())
    await client.post('/nowhere', {}) // signed 404
    answers.push(lastOnWire())
    const ids = answers.map((res) => res.headers.get('x-request-id'))
    for (const id of ids) expect(id).toMatch(ID)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('an error body names the request id of its header', async () => {
    const unsigned = await SELF.fetch(`${RELAY_ORIGIN}/sendMessage`, { method: 'POST', body: '{}' })
    expect(unsigned.status).toBe(401)
    expect(await unsigned.json()).toMatchObject({ requestId: unsigned.headers.get('x-request-id') })
    const { client, lastOnWire } = wireClient()
    const signed = await client.post('/sendMessage', { message: { messageBox: 'inbox' } })
    expect(signed.status).toBe(400)
    expect(await signed.json()).toMatchObject({
      code: 'ERR_INVALID_MESSAGE_BODY',
      requestId: lastOnWire().headers.get('x-request-id'),
    })
  })
})

describe('log lines', () => {
  let lines: string[]
  const original = console.log
  beforeEach(() => {
    lines = []
    console.log = (...args: unknown[]) => void lines.push(args.map(String).join(' '))
  })
  afterEach(() => {
    console.log = original
  })

  it('one JSON line per request: id, method, path without its query, status, duration, no caller when unauthenticated', async () => {
    const res = await relayWithEnv({}).fetch(`${RELAY_ORIGIN}/health?token=secret`, {})
    const logged = lines.map((line) => JSON.parse(line))
    expect(logged).toEqual([
      {
        requestId: res.headers.get('x-request-id'),
        method: 'GET',
        path: '/health',
        status: 200,
        durationMs: expect.any(Number),
      },
    ])
    expect(lines.join('\n')).not.toContain('secret')
  })

  it('an authenticated request logs its caller shortened and its error code, never the key or the body', async () => {
    const { client, lastOnWire } = wireClient(relayWithEnv({}).fetch)
    const res = await client.post('/sendMessage', { message: { messageBox: 'inbox', body: 'the body text' } })
    expect(res.status).toBe(400)
    const logged = lines.map((line) => JSON.parse(line)).filter((entry) => entry.path === '/sendMessage')
    expect(logged).toEqual([
      {
        requestId: lastOnWire().headers.get('x-request-id'),
        method: 'POST',
        path: '/sendMessage',
        status: 400,
        durationMs: expect.any(Number),
        caller: `${client.identityKey.slice(0, 8)}…${client.identityKey.slice(-4)}`,
        code: 'ERR_RECIPIENT_REQUIRED',
      },
    ])
    const all = lines.join('\n')
    expect(all).not.toContain(client.identityKey)
    expect(all).not.toContain('the body text')
  })
})
