import { beforeAll, describe, expect, inject, it } from 'vitest'
import { authPost, newIdentity, withTimeout, type Identity } from './helpers/clients'
import { newFcmToken, waitForPushes } from './helpers/fake-fcm'
import { newFundedIdentity } from './helpers/funded-wallet'

// Devices through the unmodified @bsv/message-box-client 2.1.1, and pushes arriving at the fake FCM
// (started by global-setup.ts, like the shared relay, which runs with push on).
const host = inject('relayUrl')
const fakeFcmUrl = inject('fakeFcmUrl')
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

describe('devices: @bsv/message-box-client against wrangler dev', () => {
  let alice: Identity
  beforeAll(() => {
    alice = newIdentity('alice', host)
  })

  it('GET /health says "push":"on": the service account JSON passed through --var intact', async () => {
    const res = await fetch(`${host}/health`)
    expect(await res.json()).toMatchObject({ status: 'ok', push: 'on' })
  })

  it('registerDevice answers a stable id; listRegisteredDevices shows the device with its token masked', async () => {
    const fcmToken = newFcmToken()
    const registered = await withTimeout(
      alice.client.registerDevice({ fcmToken, platform: 'web', deviceId: 'e2e-browser' }, host),
      'registerDevice',
    )
    expect(registered).toEqual({
      status: 'success',
      message: 'Device registered successfully for push notifications',
      deviceId: expect.any(Number),
    })
    const again = await withTimeout(
      alice.client.registerDevice({ fcmToken, platform: 'web', deviceId: 'e2e-browser' }, host),
      'registerDevice again',
    )
    expect(again.deviceId).toBe(registered.deviceId)

    const devices = await withTimeout(alice.client.listRegisteredDevices(host), 'listRegisteredDevices')
    expect(devices).toEqual([
      {
        id: registered.deviceId,
        deviceId: 'e2e-browser',
        platform: 'web',
        fcmToken: `...${fcmToken.slice(-10)}`,
        active: true,
        createdAt: expect.stringMatching(ISO),
        updatedAt: expect.stringMatching(ISO),
        lastUsed: null,
      },
    ])
  })

  it('the client refuses an unknown platform itself; the relay refuses what the client lets through', async () => {
    await expect(
      withTimeout(
        alice.client.registerDevice({ fcmToken: 't', platform: 'desktop' as 'web' }, host),
        'register',
      ),
    ).rejects.toThrow('platform must be one of: ios, android, web')
    await expect(
      withTimeout(alice.client.registerDevice({ fcmToken: 'x'.repeat(4097) }, host), 'register'),
    ).rejects.toThrow(/Failed to register device: HTTP 400 - fcmToken is required/)
  })

  it('POST /unregisterDevice (no client method in 2.1.1: its own AuthFetch) removes the registration', async () => {
    const bob = newIdentity('bob', host)
    const fcmToken = newFcmToken()
    await withTimeout(bob.client.registerDevice({ fcmToken }, host), 'registerDevice')
    const res = await authPost(bob.client.authFetch, `${host}/unregisterDevice`, { fcmToken })
    expect(res).toEqual({
      status: 200,
      body: { status: 'success', message: 'Device unregistered from push notifications' },
    })
    expect(await withTimeout(bob.client.listRegisteredDevices(host), 'list')).toEqual([])
  })
})

// 'notifications' costs 10 + 10 sat on the shared relay (wrangler.toml): the sender is a funded test wallet
// whose client pays (its coins known to the run's fake chain tracker), so the push is tested where it runs.
describe('push: a paid send into notifications reaches the fake FCM', () => {
  it("the real client's sendNotification: one push per device with the contract payload naming its HMAC id; lastUsed set", async () => {
    const alice = newFundedIdentity('alice', host, inject('fakeChainTrackerUrl'))
    const bob = newIdentity('bob', host)
    const tokens = [newFcmToken(), newFcmToken()]
    const platforms = ['android', 'ios'] as const
    for (const [i, fcmToken] of tokens.entries()) {
      await withTimeout(
        bob.client.registerDevice({ fcmToken, platform: platforms[i]! }, host),
        'registerDevice',
      )
    }
    // A single recipient takes sendMessage's path: the answer carries the messageId.
    const sent = (await withTimeout(
      alice.client.sendNotification(bob.identityKey, 'hi bob', host),
      'sendNotification',
    )) as { status: string; messageId: string }
    expect(sent).toMatchObject({ status: 'success', messageId: expect.any(String) })

    for (const token of tokens) {
      const pushes = await waitForPushes(fakeFcmUrl, token, 1)
      expect(pushes.map((p) => p.body)).toEqual([
        {
          message: {
            token,
            notification: { title: 'New Message', body: sent.messageId },
            data: { messageId: sent.messageId, originator: alice.identityKey },
            android: { priority: 'high' },
            apns: {
              headers: { 'apns-push-type': 'alert', 'apns-priority': '10' },
              payload: { aps: { 'mutable-content': 1 } },
            },
          },
        },
      ])
    }
    // lastUsed is written right after the sends; allow the consumer a moment to commit it.
    await expect
      .poll(
        async () => {
          const devices = await withTimeout(bob.client.listRegisteredDevices(host), 'list')
          return devices.map((d) => typeof d.lastUsed)
        },
        { timeout: 5000, interval: 200 },
      )
      .toEqual(['string', 'string'])
  })
})
