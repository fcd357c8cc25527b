import { describe, expect, it } from 'vitest'
import type { Env } from '../../src/env'
import { newClient, type TestClient } from '../helpers/client'
import { deactivate, devicesOf, registerOk } from '../helpers/devices'
import { fakeFcm, newFcmToken } from '../helpers/fake-fcm'
import { expectResponse, listOk, sendOk } from '../helpers/messages'
import { relayWithEnv } from '../helpers/relay-with-env'

// The whole way: POST /sendMessage commits, queues one job per recipient on the real PUSH_QUEUE, and this
// Worker's queue consumer pushes to the fake FCM. Senders use a relay without fees for 'notifications'
// (wrangler.toml charges 10 + 10 sat there); what is tested here is the push, not the payment.
const FREE: Partial<Env> = { DELIVERY_FEES: '{}', DEFAULT_RECIPIENT_FEES: '{}' }
const sender = (vars: Partial<Env> = {}) => newClient({ fetch: relayWithEnv({ ...FREE, ...vars }).fetch })

async function withDevices(count: number): Promise<{ client: TestClient; tokens: string[]; ids: number[] }> {
  const client = newClient()
  const tokens = Array.from({ length: count }, () => newFcmToken())
  const ids: number[] = []
  for (const fcmToken of tokens) ids.push(await registerOk(client, { fcmToken, platform: 'ios' }))
  return { client, tokens, ids }
}

const pushedIds = async (token: string) =>
  (await fakeFcm.pushes(token)).map((p) => (p.body.message as { data: { messageId: string } }).data.messageId)

describe('push after /sendMessage', () => {
  it("a message into 'notifications' reaches each active device of each recipient once, with the contract payload", async () => {
    const alice = sender()
    const [bob, carol] = [await withDevices(3), await withDevices(1)]
    await deactivate(bob.ids[2]!)
    const messageIds = [`n-${crypto.randomUUID()}`, `n-${crypto.randomUUID()}`]
    await sendOk(alice, {
      recipients: [bob.client.identityKey, carol.client.identityKey],
      messageBox: 'notifications',
      messageId: messageIds,
      body: 'ping',
    })

    const [push] = await fakeFcm.waitForPushes(bob.tokens[0]!, 1)
    expect(push!.body).toEqual({
      message: {
        token: bob.tokens[0],
        notification: { title: 'New Message', body: messageIds[0] },
        data: { messageId: messageIds[0], originator: alice.identityKey },
        android: { priority: 'high' },
        apns: {
          headers: { 'apns-push-type': 'alert', 'apns-priority': '10' },
          payload: { aps: { 'mutable-content': 1 } },
        },
      },
    })
    await fakeFcm.waitForPushes(bob.tokens[1]!, 1)
    await fakeFcm.waitForPushes(carol.tokens[0]!, 1)

    // A later push to the same devices, as a marker: once it arrived, anything owed for the first send has too.
    const marker = `marker-${crypto.randomUUID()}`
    await sendOk(alice, {
      recipient: bob.client.identityKey,
      messageBox: 'notifications',
      messageId: marker,
      body: 'x',
    })
    await fakeFcm.waitForPushes(bob.tokens[0]!, 2)
    await fakeFcm.waitForPushes(bob.tokens[1]!, 2)
    expect(await pushedIds(bob.tokens[0]!)).toEqual([messageIds[0], marker])
    expect(await pushedIds(bob.tokens[1]!)).toEqual([messageIds[0], marker])
    expect(await pushedIds(carol.tokens[0]!)).toEqual([messageIds[1]])
    expect(await fakeFcm.attempts(bob.tokens[2]!)).toEqual([])
  })

  it('a message into another box is not pushed; an idempotent repeat is not pushed again', async () => {
    const alice = sender()
    const bob = await withDevices(1)
    const first = `n-${crypto.randomUUID()}`
    await sendOk(alice, { recipient: bob.client.identityKey, messageBox: 'inbox', body: 'not pushed' })
    await sendOk(alice, {
      recipient: bob.client.identityKey,
      messageBox: 'notifications',
      messageId: first,
      body: 'a',
    })
    const repeat = await sendOk(alice, {
      recipient: bob.client.identityKey,
      messageBox: 'notifications',
      messageId: first,
      body: 'a',
    })
    expect(repeat.results[0].duplicate).toBe(true)
    const marker = `marker-${crypto.randomUUID()}`
    await sendOk(alice, {
      recipient: bob.client.identityKey,
      messageBox: 'notifications',
      messageId: marker,
      body: 'b',
    })
    await fakeFcm.waitForPushes(bob.tokens[0]!, 2)
    expect(await pushedIds(bob.tokens[0]!)).toEqual([first, marker])
  })

  it('PUSH_BOXES decides which boxes push', async () => {
    const alice = sender({ PUSH_BOXES: '["alerts"]' })
    const bob = await withDevices(1)
    await sendOk(alice, {
      recipient: bob.client.identityKey,
      messageBox: 'notifications',
      messageId: 'n-1',
      body: 'x',
    })
    await sendOk(alice, {
      recipient: bob.client.identityKey,
      messageBox: 'alerts',
      messageId: 'a-1',
      body: 'x',
    })
    await fakeFcm.waitForPushes(bob.tokens[0]!, 1)
    const marker = `marker-${crypto.randomUUID()}`
    await sendOk(alice, {
      recipient: bob.client.identityKey,
      messageBox: 'alerts',
      messageId: marker,
      body: 'x',
    })
    await fakeFcm.waitForPushes(bob.tokens[0]!, 2)
    expect(await pushedIds(bob.tokens[0]!)).toEqual(['a-1', marker])
  })

  it('FCM answering UNREGISTERED: GET /devices then shows that device inactive, the other still active', async () => {
    const alice = sender()
    const bob = await withDevices(2)
    await fakeFcm.script(bob.tokens[0]!, { error: 'UNREGISTERED' })
    await sendOk(alice, { recipient: bob.client.identityKey, messageBox: 'notifications', body: 'x' })
    await fakeFcm.waitForPushes(bob.tokens[1]!, 1)
    await fakeFcm.waitForAttempts(bob.tokens[0]!, 1)
    // The outcome is written right after the sends of the job; give the consumer a moment to commit it.
    let listed = await devicesOf(bob.client)
    for (let i = 0; i < 50 && listed.some((d) => d.active && d.lastUsed === null); i++) {
      await new Promise((done) => setTimeout(done, 100))
      listed = await devicesOf(bob.client)
    }
    expect(listed.map((d) => [d.id, d.active])).toEqual([
      [bob.ids[1], true],
      [bob.ids[0], false],
    ])
  })

  it('FCM unreachable: the send still answers 200 and the message is listed', async () => {
    const alice = sender()
    const bob = await withDevices(1)
    await fakeFcm.script(bob.tokens[0]!, { disconnect: true })
    const sent = await sendOk(alice, {
      recipient: bob.client.identityKey,
      messageBox: 'notifications',
      body: 'hi',
    })
    const listed = await listOk(bob.client, { messageBox: 'notifications' })
    expect(listed.messages.map((m: { messageId: string }) => m.messageId)).toEqual([sent.messageId])
    expect((await fakeFcm.waitForAttempts(bob.tokens[0]!, 1)).map((a) => a.status)).toEqual([0])
  })
})

describe('push off (no FCM_SERVICE_ACCOUNT_JSON)', () => {
  it('/health says "push":"off"', async () => {
    const res = await relayWithEnv({ FCM_SERVICE_ACCOUNT_JSON: undefined }).fetch(
      'https://relay.test/health',
      {},
    )
    expect(await res.json()).toMatchObject({ status: 'ok', push: 'off' })
  })

  it('a send into notifications pushes nothing (a later push-on send is the only push); registration still works', async () => {
    const off: Partial<Env> = { FCM_SERVICE_ACCOUNT_JSON: '' }
    const bob = newClient({ fetch: relayWithEnv(off).fetch })
    const token = newFcmToken()
    await registerOk(bob, { fcmToken: token })
    const quiet = `off-${crypto.randomUUID()}`
    await sendOk(sender(off), {
      recipient: bob.identityKey,
      messageBox: 'notifications',
      messageId: quiet,
      body: 'x',
    })
    // A send through a relay with push on, as a marker: a job queued by the first send would have run by now.
    const marker = `marker-${crypto.randomUUID()}`
    await sendOk(sender(), {
      recipient: bob.identityKey,
      messageBox: 'notifications',
      messageId: marker,
      body: 'x',
    })
    await fakeFcm.waitForPushes(token, 1)
    expect(await pushedIds(token)).toEqual([marker])
    await expectResponse(await bob.post('/listMessages', { messageBox: 'notifications' }), 200)
  })
})
