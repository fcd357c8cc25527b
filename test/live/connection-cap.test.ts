import { PrivateKey } from '@bsv/sdk'
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { newClient } from '../helpers/client'
import { joinOwn, uniqueBox, useLiveClients } from '../helpers/live'
import { sendOk } from '../helpers/messages'

// LIVE_MAX_CONNECTIONS_PER_IDENTITY (16, wrangler.toml): one identity's 17th authenticated connection closes its
// oldest, the socket.io way ("41": the client does not reconnect), so a crashed app's dead sockets never lock
// its owner out; the newer ones keep receiving pushes.

const { authed } = useLiveClients()

describe('live connections per identity', () => {
  it('the 17th connection of one identity ends the oldest with "41"; the others still get pushes', async () => {
    const max = Number(env.LIVE_MAX_CONNECTIONS_PER_IDENTITY)
    expect(max).toBe(16)
    const key = PrivateKey.fromRandom()
    const box = uniqueBox()
    const connections = []
    for (let i = 0; i < max; i++) {
      const connection = await authed('websocket-only', key)
      await joinOwn(connection, box)
      connections.push(connection)
    }
    const oldest = connections[0]!
    const newest = await authed('websocket-only', key)
    await joinOwn(newest, box)

    await oldest.whenClosedByServer()
    expect(oldest.receivedPackets).toContain('41')
    for (const other of connections.slice(1)) expect(other.closedBy).toBeUndefined()

    const sent = await sendOk(newClient(), { recipient: newest.identityKey, messageBox: box, body: 'to all' })
    const event = `sendMessage-${newest.identityKey}-${box}`
    expect((await newest.nextEvent(event)).messageId).toBe(sent.messageId)
    expect((await connections[1]!.nextEvent(event)).messageId).toBe(sent.messageId)
    await oldest.noEvent(event, 300)
  })
})
