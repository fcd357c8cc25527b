import { PrivateKey } from '@bsv/sdk'
import { SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { type FetchLike, newClient, type TestClient } from '../helpers/client'
import { inMailbox, sessionsOf } from '../helpers/mailbox'
import { postInitialRequest } from '../helpers/raw-client'

// Finding 2 of issue 9: unsigned handshakes that merely name a victim's key must never evict the
// victim's sessions in use or just opened, nor make its own handshakes fail (docs/contract.md, "Unauthenticated
// traffic cannot lock anyone out"). Everything goes through the real worker (SELF): the handshake route,
// the Mailbox, and real AuthFetch clients of the victim. No CF-Connecting-IP header, so the per-IP limit
// does not apply: this is the attacker with unlimited addresses.

const toSELF: FetchLike = (input, init) => SELF.fetch(input, init)

/** `count` unsigned initialRequests naming `identityKey`, `parallel` at a time; returns their statuses. */
async function flood(identityKey: string, count: number, parallel = 5): Promise<number[]> {
  const statuses: number[] = []
  for (let sent = 0; sent < count; sent += parallel) {
    const batch = Array.from({ length: Math.min(parallel, count - sent) }, () =>
      postInitialRequest(toSELF, identityKey).then(async (res) => {
        await res.arrayBuffer()
        return res.status
      }),
    )
    statuses.push(...(await Promise.all(batch)))
  }
  return statuses
}

const handshakesOf = (client: TestClient) =>
  client.sent.filter((r) => r.url.endsWith('/.well-known/auth')).length
const list = (client: TestClient) => client.post('/listMessages', { messageBox: 'inbox' })

describe('a handshake flood naming a victim key (issue 9, finding 2)', () => {
  it("between each of a fresh client's handshakes and its first request, 100 foreign handshakes evict nothing", async () => {
    const victim = PrivateKey.fromRandom()
    const identityKey = victim.toPublicKey().toString()
    const floodStatuses: number[] = []
    // The worst interleaving, made deterministic: every handshake answer this client receives is held
    // back until 100 foreign handshakes for its key have been answered.
    const floodAfterHandshake: FetchLike = async (input, init) => {
      const res = await toSELF(input, init)
      if (input.endsWith('/.well-known/auth')) floodStatuses.push(...(await flood(identityKey, 100)))
      return res
    }
    const fresh = newClient({ privateKey: victim, fetch: floodAfterHandshake })
    const res = await list(fresh)
    expect(res.status, await res.clone().text()).toBe(200)
    expect(handshakesOf(fresh)).toBe(1)
    expect(floodStatuses).toEqual(Array(100).fill(200))
  })

  it("keeps the victim's used session and lets its fresh clients in, during and after a concurrent flood", async () => {
    const victim = PrivateKey.fromRandom()
    const identityKey = victim.toPublicKey().toString()
    const warm = newClient({ privateKey: victim })
    expect((await list(warm)).status).toBe(200)

    const started = Date.now()
    const FLOOD = 200
    const during = Array.from({ length: 5 }, () => newClient({ privateKey: victim }))
    const [floodStatuses, ...answers] = await Promise.all([
      flood(identityKey, FLOOD),
      ...during.map(async (client, i) => {
        await new Promise((r) => setTimeout(r, 20 * i))
        return (await list(client)).status
      }),
      (async () => (await list(warm)).status)(),
    ])
    expect(floodStatuses).toEqual(Array(FLOOD).fill(200))
    expect(answers).toEqual(Array(during.length + 1).fill(200))
    for (const client of during) expect(handshakesOf(client)).toBe(1)
    const after = newClient({ privateKey: victim })
    expect((await list(after)).status).toBe(200)
    expect((await list(warm)).status).toBe(200)
    expect(handshakesOf(warm)).toBe(1)
    expect(handshakesOf(after)).toBe(1)
    const elapsed = Date.now() - started

    // Bounded: the flood left at most one unused row per foreign handshake (all within their grace),
    // and the victim's sessions in use are all there.
    const sessions = await inMailbox(identityKey, (box) => sessionsOf(box).list())
    const used = sessions.filter((s) => s.requestCount > 0)
    expect(used).toHaveLength(during.length + 2)
    expect(sessions.length).toBeLessThanOrEqual(FLOOD + during.length + 2)
    expect(elapsed).toBeLessThan(25_000)
    console.log(`flood of ${FLOOD} handshakes with ${during.length + 2} victim clients: ${elapsed} ms`)
  })
})
