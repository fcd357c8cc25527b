import { env, runDurableObjectAlarm, runInDurableObject, SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { RELAY_ORIGIN, withTimeout } from '../helpers/relay'
import { joinOwn, sendLive, uniqueBox, useLiveClients } from '../helpers/live'

// The server's heartbeat and deadlines run from the connection object's alarm. Time is moved by rewriting
// the object's own clock fields (its stored state and the WebSocket's attachment) to the past, then the real
// alarm handler runs: nothing is waited for and nothing is mocked.

const { authed } = useLiveClients()
const config = { pingInterval: 90_000, pingTimeout: 20_000, authTimeout: 15_000 }

/** A bare WebSocket-only Engine.IO connection that answers nothing (a dead or silent peer). */
async function silentSocket() {
  const res = await SELF.fetch(`${RELAY_ORIGIN}/socket.io/?EIO=4&transport=websocket`, {
    headers: { upgrade: 'websocket' },
  })
  expect(res.status).toBe(101)
  const ws = res.webSocket!
  const frames: string[] = []
  let closed = false
  const opened = new Promise<string>((resolve) =>
    ws.addEventListener('message', (event) => {
      frames.push(String(event.data))
      if (frames.length === 1) resolve(String(event.data))
    }),
  )
  ws.addEventListener('close', () => (closed = true))
  ws.accept()
  const open = JSON.parse((await withTimeout(opened, 5000, 'open packet')).slice(1))
  return { ws, frames, sid: open.sid as string, isClosed: () => closed }
}

/** Moves the connection's clock back by `ms`: its opening and its last ping happened that much earlier. */
async function rewind(sid: string, ms: number): Promise<void> {
  await inConnection(sid, (instance, state) => {
    const stored = state.storage.kv.get<any>('state')
    state.storage.kv.put('state', { ...stored, openedAt: stored.openedAt - ms })
    instance.state = undefined // re-read from storage, as after hibernation
    for (const ws of state.getWebSockets()) {
      const attachment = ws.deserializeAttachment()
      if (attachment?.pingSentAt)
        ws.serializeAttachment({ ...attachment, pingSentAt: attachment.pingSentAt - ms })
    }
  })
}

/** The connection object of `sid` (typed loosely: the RPC type of the class is too deep for runInDurableObject). */
const stubOf = (sid: string) => env.LIVE.getByName(sid) as unknown as DurableObjectStub

/** Runs `fn` inside the connection object of `sid`, with its (private) fields at hand. */
function inConnection<R>(sid: string, fn: (instance: any, state: DurableObjectState) => R): Promise<R> {
  return runInDurableObject(stubOf(sid), fn as (instance: unknown, state: DurableObjectState) => R)
}

/** Whether the runtime answered a pong on the connection's WebSocket since its last ping went out. */
const pongRecorded = (sid: string) =>
  inConnection(sid, (_i, state) => {
    const ws = state.getWebSockets()[0]
    const pong = ws ? state.getWebSocketAutoResponseTimestamp(ws)?.getTime() : undefined
    const pingSentAt = (ws?.deserializeAttachment() as { pingSentAt: number | null } | null)?.pingSentAt
    return pong !== undefined && pingSentAt != null && pong >= pingSentAt
  })

/** Whether the connection object still holds its state (an ended connection deletes all of its storage). */
const isOpen = (sid: string) => inConnection(sid, (_i, state) => state.storage.kv.get('state') !== undefined)

describe('live heartbeat and deadlines (the alarm)', () => {
  it('a connection that has not authenticated by LIVE_AUTH_TIMEOUT_MS gets "41" and is closed; its storage is gone', async () => {
    const silent = await silentSocket()
    await rewind(silent.sid, config.authTimeout - 1000)
    await runDurableObjectAlarm(stubOf(silent.sid))
    // The alarm has run: an ended connection would have deleted its state by now.
    expect(await isOpen(silent.sid)).toBe(true)
    expect(silent.frames).not.toContain('41')
    await rewind(silent.sid, 2000)
    await runDurableObjectAlarm(stubOf(silent.sid))
    await expect.poll(() => silent.frames.includes('41') && silent.isClosed()).toBe(true)
    const keys = await inConnection(silent.sid, (_i, state) => [...state.storage.kv.list()])
    expect(keys).toEqual([])
  })

  it('pings every LIVE_PING_INTERVAL_MS, and closes a peer that did not answer (no "41": it is gone)', async () => {
    const silent = await silentSocket()
    expect(silent.frames[0]).toContain(`"pingInterval":${config.pingInterval}`)
    // Keep it from the auth deadline: the point here is the ping.
    await inConnection(silent.sid, (instance, state) => {
      const stored = state.storage.kv.get<any>('state')
      state.storage.kv.put('state', { ...stored, identity: '02'.padEnd(66, '0') })
      instance.state = undefined
    })
    await rewind(silent.sid, config.pingInterval)
    await runDurableObjectAlarm(stubOf(silent.sid))
    await expect.poll(() => silent.frames.filter((f) => f === '2').length).toBe(1)
    expect(silent.isClosed()).toBe(false)
    await rewind(silent.sid, config.pingTimeout)
    await runDurableObjectAlarm(stubOf(silent.sid))
    await expect.poll(() => silent.isClosed()).toBe(true)
    expect(silent.frames).not.toContain('41')
  })

  it('a client that answers pings (its pongs are answered by the runtime auto-response) stays connected and receives pushes', async () => {
    const [alice, bob] = await Promise.all([authed('websocket'), authed('websocket')])
    const box = uniqueBox()
    await joinOwn(bob, box)
    for (let round = 0; round < 3; round++) {
      await rewind(bob.open.sid, config.pingInterval)
      await runDurableObjectAlarm(stubOf(bob.open.sid))
      // The ping arrived, and the runtime recorded the client's pong (what the next alarm checks).
      await expect.poll(() => bob.receivedPackets.filter((p) => p === '2').length).toBe(round + 1)
      await expect.poll(() => pongRecorded(bob.open.sid)).toBe(true)
    }
    expect(bob.receivedPackets.filter((p) => p === '2')).toHaveLength(3)
    expect(bob.closedBy).toBeUndefined()
    const { sent } = await sendLive(alice, bob.identityKey, box)
    expect(await bob.nextEvent(`sendMessage-${bob.identityKey}-${box}`)).toMatchObject({
      messageId: sent.messageId,
    })
  })
})
