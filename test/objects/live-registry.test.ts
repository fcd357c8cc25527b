import { PrivateKey } from '@bsv/sdk'
import { describe, expect, it } from 'vitest'
import { LiveRegistry } from '../../src/objects/live-registry'
import { inMailbox } from '../helpers/mailbox'

// The live registry inside a real Mailbox Durable Object (real SQLite storage): which connections of one
// identity are live and which of its boxes each joined.

function withRegistry<R>(fn: (registry: LiveRegistry, sql: SqlStorage) => R): Promise<R> {
  const identityKey = PrivateKey.fromRandom().toPublicKey().toString()
  return inMailbox(identityKey, (_box, state) => fn(new LiveRegistry(state.storage.sql), state.storage.sql))
}

const T0 = 1_800_000_000_000
const tables = (sql: SqlStorage) =>
  sql
    .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'live_%'")
    .toArray()
    .map((row) => row.name)

describe('LiveRegistry', () => {
  it('asking an identity that never connected finds nothing and creates no table', async () => {
    await withRegistry((registry, sql) => {
      expect(registry.connectionsIn('inbox')).toEqual([])
      registry.leave('c1', 'inbox')
      registry.detach('c1')
      expect(registry.join('c1', 'inbox', 8)).toBe('not-attached')
      expect(registry.isEmpty()).toBe(true)
      expect(tables(sql)).toEqual([])
    })
  })

  it('a box lists exactly the connections that joined it and have not left', async () => {
    await withRegistry((registry) => {
      registry.attach('c1', T0, 16)
      registry.attach('c2', T0 + 1, 16)
      expect(registry.join('c1', 'inbox', 8)).toBe('joined')
      expect(registry.join('c2', 'inbox', 8)).toBe('joined')
      expect(registry.join('c2', 'payment-inbox', 8)).toBe('joined')
      expect(registry.connectionsIn('inbox').sort()).toEqual(['c1', 'c2'])
      expect(registry.connectionsIn('payment-inbox')).toEqual(['c2'])
      expect(registry.connectionsIn('payment')).toEqual([])
      registry.leave('c2', 'inbox')
      expect(registry.connectionsIn('inbox')).toEqual(['c1'])
      registry.detach('c1')
      expect(registry.connectionsIn('inbox')).toEqual([])
      expect(registry.isEmpty()).toBe(false)
      registry.detach('c2')
      expect(registry.connectionsIn('payment-inbox')).toEqual([])
      expect(registry.isEmpty()).toBe(true)
    })
  })

  it('joining twice is one membership; a connection joins at most maxRooms boxes', async () => {
    await withRegistry((registry) => {
      registry.attach('c1', T0, 16)
      expect(registry.join('c1', 'a', 2)).toBe('joined')
      expect(registry.join('c1', 'a', 2)).toBe('joined')
      expect(registry.join('c1', 'b', 2)).toBe('joined')
      expect(registry.join('c1', 'c', 2)).toBe('too-many-rooms')
      expect(registry.connectionsIn('a')).toEqual(['c1'])
      expect(registry.connectionsIn('c')).toEqual([])
    })
  })

  it('beyond maxConnections the oldest others are dropped (with their rooms) and returned; the new one stays', async () => {
    await withRegistry((registry) => {
      for (const [i, c] of ['c1', 'c2', 'c3'].entries()) {
        expect(registry.attach(c, T0 + i, 3)).toEqual([])
        registry.join(c, 'inbox', 8)
      }
      expect(registry.attach('c4', T0 + 3, 3)).toEqual(['c1'])
      expect(registry.attach('c5', T0 + 4, 2)).toEqual(['c3', 'c2'])
      expect(registry.connectionsIn('inbox')).toEqual([])
      expect(registry.join('c5', 'inbox', 8)).toBe('joined')
      expect(registry.connectionsIn('inbox')).toEqual(['c5'])
    })
  })
})
