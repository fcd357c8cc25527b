import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { newIdentity, newPlainClient, withTimeout } from './helpers/clients'
import { newFundedIdentity } from './helpers/funded-wallet'
import {
  createRelayState,
  removeRelayState,
  startRelay,
  type RelayProcess,
  type RelayState,
} from './helpers/wrangler-dev'

// Identities are free, so no handful of them may deny service (docs/contract.md "Common rules"), end to end:
// `wrangler dev` with small quotas (20 messages an inbox, 2 per sender and per network and recipient, half of an
// inbox for strangers, 20 000 bytes per network in the store), clients whose networks are given by
// CF-Connecting-IP (wrangler dev keeps the header a client sends), the real AuthFetch and the real client.
const SMALL = {
  INBOX_QUOTA: '20',
  SENDER_PER_RECIPIENT_QUOTA: '2',
  STRANGER_INBOX_SHARE: '0.5',
  NETWORK_BYTES_QUOTA: '20000',
  HANDSHAKE_RATE_LIMIT: '0',
}

// The run's fake chain tracker and ARC (test/e2e/global-setup.ts).
const tracker = { url: inject('fakeChainTrackerUrl') }
const arc = { url: inject('fakeArcUrl') }
const relays: Array<{ state: RelayState; relay?: RelayProcess }> = []

async function relayWith(vars: Record<string, string>): Promise<string> {
  const state = createRelayState()
  const entry: { state: RelayState; relay?: RelayProcess } = { state }
  relays.push(entry)
  entry.relay = await startRelay(state, {
    vars: { ...vars, CHAIN_TRACKER_URL: tracker.url, ARC_URL: arc.url },
  })
  return entry.relay.url
}

afterAll(async () => {
  for (const { relay, state } of relays) {
    await relay?.stop()
    removeRelayState(state)
  }
})

/** A fresh /24 (`a.b.c`) of the benchmarking range, one per test, so tests never share a network. */
function newNetwork(): string {
  const [b, c] = crypto.getRandomValues(new Uint8Array(2))
  return `198.${18 + (b! % 2)}.${c}`
}

const randomBox = () => `box-${crypto.randomUUID()}`

describe('Sybil resistance against wrangler dev (CF-Connecting-IP)', () => {
  let host: string
  beforeAll(async () => {
    host = await relayWith(SMALL)
  })

  it('ten identities from one network cannot lock an inbox; a sender from another network still gets through', async () => {
    const bob = newIdentity('bob', host)
    const net = newNetwork()
    const statuses: number[] = []
    for (let i = 1; i <= 10; i++) {
      const attacker = newPlainClient(host, undefined, `${net}.${i}`)
      for (let j = 0; j < 2; j++) {
        const res = await attacker.post('/sendMessage', {
          message: { recipient: bob.identityKey, messageBox: randomBox(), body: 'spam' },
        })
        statuses.push(res.status)
        if (res.status !== 200)
          expect(res.body).toMatchObject({ code: 'ERR_SENDER_QUOTA_EXCEEDED', scope: 'network' })
      }
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(2)
    const other = newPlainClient(host, undefined, `${newNetwork()}.1`)
    const reached = await other.post('/sendMessage', {
      message: { recipient: bob.identityKey, messageBox: 'inbox', body: 'still reachable' },
    })
    expect(reached.status, JSON.stringify(reached.body)).toBe(200)
  })

  it('a sender the recipient allowed gets through while strangers from ten networks fill their share', async () => {
    const bob = newIdentity('bob', host)
    const friend = newPlainClient(host, undefined, `${newNetwork()}.1`)
    // Friends free everywhere: one call of the real client (the README's example).
    await withTimeout(
      bob.client.setMessageBoxPermission(
        { messageBox: '*', sender: friend.identityKey, recipientFee: 0 },
        host,
      ),
      'setMessageBoxPermission',
    )
    const codes: (number | string)[] = []
    for (let i = 0; i < 10; i++) {
      const net = newNetwork()
      for (let j = 1; j <= 2; j++) {
        const res = await newPlainClient(host, undefined, `${net}.${j}`).post('/sendMessage', {
          message: { recipient: bob.identityKey, messageBox: randomBox(), body: 'stranger' },
        })
        codes.push(res.status === 200 ? 200 : res.body.code)
        if (res.status !== 200) expect(res.body).toMatchObject({ scope: 'strangers' })
      }
    }
    expect(codes.filter((c) => c === 200)).toHaveLength(10)
    expect(codes.slice(10)).toEqual(Array(10).fill('ERR_INBOX_QUOTA_EXCEEDED'))
    const res = await friend.post('/sendMessage', {
      message: { recipient: bob.identityKey, messageBox: 'inbox', body: 'from a friend' },
    })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    const listed = await withTimeout(bob.client.listMessages({ messageBox: 'inbox', host }), 'listMessages')
    expect(listed.map((m) => m.body)).toEqual(['from a friend'])
  })

  it('a "*" block refuses a box the recipient never named, while a friend’s "*" allow still delivers', async () => {
    const bob = newIdentity('bob', host)
    const [friend, stranger] = [newIdentity('friend', host), newIdentity('stranger', host)]
    await withTimeout(
      bob.client.setMessageBoxPermission({ messageBox: '*', recipientFee: -1 }, host),
      'block everyone everywhere',
    )
    await withTimeout(
      bob.client.setMessageBoxPermission(
        { messageBox: '*', sender: friend.identityKey, recipientFee: 0 },
        host,
      ),
      'allow the friend everywhere',
    )
    const box = randomBox()
    const blocked = await newPlainClient(host).post('/sendMessage', {
      message: { recipient: bob.identityKey, messageBox: box, body: 'hi' },
    })
    expect(blocked.status).toBe(403)
    expect(blocked.body).toMatchObject({ code: 'ERR_DELIVERY_BLOCKED', blockedRecipients: [bob.identityKey] })
    await expect(
      withTimeout(
        stranger.client.sendMessage(
          { recipient: bob.identityKey, messageBox: box, body: 'hi', checkPermissions: true },
          host,
        ),
        'stranger sendMessage',
      ),
    ).rejects.toThrow()
    const sent = await withTimeout(
      friend.client.sendMessage(
        { recipient: bob.identityKey, messageBox: box, body: 'hi bob', checkPermissions: true },
        host,
      ),
      'friend sendMessage',
    )
    expect(sent).toMatchObject({ status: 'success' })
    const listed = await withTimeout(bob.client.listMessages({ messageBox: box, host }), 'listMessages')
    expect(listed.map((m) => [m.sender, m.body])).toEqual([[friend.identityKey, 'hi bob']])
  })

  it('forty identities from one network filling the store stop at the network budget; a light sender is unaffected', async () => {
    const net = newNetwork()
    const body = 'b'.repeat(1000)
    const statuses: number[] = []
    for (let i = 0; i < 40; i++) {
      const res = await newPlainClient(host, undefined, `${net}.${i + 1}`).post('/sendMessage', {
        message: { recipient: newIdentity('victim', host).identityKey, messageBox: 'inbox', body },
      })
      statuses.push(res.status)
      if (res.status !== 200) {
        expect(res.body).toMatchObject({
          code: 'ERR_SENDER_QUOTA_EXCEEDED',
          resource: 'bytes',
          scope: 'network',
        })
      }
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(20)
    expect(statuses.slice(20)).toEqual(Array(20).fill(429))
    const light = newPlainClient(host, undefined, `${newNetwork()}.1`)
    const res = await light.post('/sendMessage', {
      message: { recipient: newIdentity('someone', host).identityKey, messageBox: 'inbox', body: 'light' },
    })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
  })

  it('an unpaid payment is not in the listed body', async () => {
    const bob = newIdentity('bob', host)
    const res = await newPlainClient(host).post('/sendMessage', {
      message: { recipient: bob.identityKey, messageBox: 'inbox', body: 'only this', skipEncryption: true },
      payment: { tx: [], outputs: [], description: 'nothing owed' },
    })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    const listed = await withTimeout(bob.client.listMessages({ messageBox: 'inbox', host }), 'listMessages')
    expect(listed.map((m) => m.body)).toEqual(['only this'])
  })

  it('many concurrent sends for the last slot of a network’s share store exactly one', async () => {
    const bob = newIdentity('bob', host)
    const net = newNetwork()
    const first = await newPlainClient(host, undefined, `${net}.1`).post('/sendMessage', {
      message: { recipient: bob.identityKey, messageBox: 'inbox', body: 'first' },
    })
    expect(first.status).toBe(200)
    const racers = Array.from({ length: 8 }, (_, i) => newPlainClient(host, undefined, `${net}.${i + 2}`))
    // A handshake each first, so the sends themselves race.
    await Promise.all(racers.map((c) => c.post('/listMessageBoxes', {})))
    const answers = await Promise.all(
      racers.map((c, i) =>
        c.post('/sendMessage', {
          message: { recipient: bob.identityKey, messageBox: 'inbox', body: `racer ${i}` },
        }),
      ),
    )
    expect(answers.map((a) => a.status).sort()).toEqual([200, ...Array(7).fill(429)])
    const listed = await withTimeout(bob.client.listMessages({ messageBox: 'inbox', host }), 'listMessages')
    expect(listed).toHaveLength(2)
  })
})

describe('storage pressure against wrangler dev', () => {
  // Pressure from the start: any database holds more than 10 KB (0.00001 of 1 GB), and full is 900 MB away. A sender
  // holding more than 1 000 bytes is heavy and pays 100 sat more (on top of notifications' 10 + 10).
  const PRESSURE = {
    HANDSHAKE_RATE_LIMIT: '0',
    MAX_DATABASE_BYTES: '1000000000',
    STORAGE_PRESSURE: '0.00001',
    PRESSURE_SENDER_BYTES: '1000',
    PRESSURE_DELIVERY_FEE: '100',
  }
  let host: string
  beforeAll(async () => {
    host = await relayWith(PRESSURE)
  })

  it('health says so; a heavy sender’s quote shows the fee, unpaid it is 507, the real client pays it; a light sender is unaffected', async () => {
    const heavy = newFundedIdentity('heavy', host, tracker.url)
    const [bob, light] = [newIdentity('bob', host), newIdentity('light', host)]
    // Light at first: its first send (free box) is stored, and makes the relay see the database's size.
    const first = await newPlainClient(host, heavy.key).post('/sendMessage', {
      message: { recipient: newIdentity('x', host).identityKey, messageBox: 'inbox', body: 'h'.repeat(1500) },
    })
    expect(first.status, JSON.stringify(first.body)).toBe(200)
    const health = await (await fetch(`${host}/health`)).json()
    expect(health).toMatchObject({ status: 'ok', storage: 'pressure' })

    const quote = await withTimeout(
      heavy.client.getMessageBoxQuote({ recipient: bob.identityKey, messageBox: 'notifications' }, host),
      'heavy quote',
    )
    expect(quote).toMatchObject({ deliveryFee: 110, recipientFee: 10 })
    const lightQuote = await withTimeout(
      light.client.getMessageBoxQuote({ recipient: bob.identityKey, messageBox: 'notifications' }, host),
      'light quote',
    )
    expect(lightQuote).toMatchObject({ deliveryFee: 10, recipientFee: 10 })

    const unpaid = await newPlainClient(host, heavy.key).post('/sendMessage', {
      message: { recipient: bob.identityKey, messageBox: 'inbox', body: 'unpaid' },
    })
    expect(unpaid.status).toBe(507)
    expect(unpaid.body).toMatchObject({ code: 'ERR_STORAGE_FULL' })

    // The real client quotes and pays what the quote says: 110 to the relay, 10 to Bob.
    const paid = await withTimeout(
      heavy.client.sendNotification(bob.identityKey, 'paid under pressure', host),
      'paid',
    )
    expect(paid).toMatchObject({ status: 'success' })
    expect(heavy.wallet.createdActions.at(-1)!.outputs!.map((o) => o.satoshis)).toEqual([110, 10])

    const lightSend = await newPlainClient(host).post('/sendMessage', {
      message: { recipient: bob.identityKey, messageBox: 'inbox', body: 'light' },
    })
    expect(lightSend.status, JSON.stringify(lightSend.body)).toBe(200)
  })
})
