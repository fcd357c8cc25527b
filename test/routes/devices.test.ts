import { env, SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { newClient } from '../helpers/client'
import { deactivate, devicesOf, registerOk, storedDevices } from '../helpers/devices'
import { d1Down, d1FailingAtEndOfBatch } from '../helpers/failing-d1'
import { newFcmToken } from '../helpers/fake-fcm'
import { expectResponse } from '../helpers/messages'
import { RELAY_ORIGIN } from '../helpers/relay'
import { relayWithEnv } from '../helpers/relay-with-env'

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/
const REGISTERED = 'Device registered successfully for push notifications'
const UNREGISTERED = 'Device unregistered from push notifications'

describe('POST /registerDevice', () => {
  it('answers the contract shape with a positive integer row id', async () => {
    const alice = newClient()
    const res = await alice.post('/registerDevice', {
      fcmToken: newFcmToken(),
      platform: 'ios',
      deviceId: 'iPhone',
    })
    const body = await expectResponse(res, 200)
    expect(body).toEqual({ status: 'success', message: REGISTERED, deviceId: expect.any(Number) })
    expect(Number.isSafeInteger(body.deviceId) && body.deviceId > 0).toBe(true)
  })

  it('stores the registration for the caller: token trimmed, deviceId and platform as given, active', async () => {
    const alice = newClient()
    const token = newFcmToken()
    const id = await registerOk(alice, { fcmToken: `  ${token}\n`, platform: 'android', deviceId: 'Pixel 9' })
    expect(await storedDevices(alice.identityKey)).toEqual([
      expect.objectContaining({
        id,
        fcm_token: token,
        device_id: 'Pixel 9',
        platform: 'android',
        active: 1,
        last_used: null,
      }),
    ])
  })

  it('optional fields may be absent or null: stored as null', async () => {
    const alice = newClient()
    await registerOk(alice, { fcmToken: newFcmToken() })
    await registerOk(alice, { fcmToken: newFcmToken(), platform: null, deviceId: null })
    for (const row of await storedDevices(alice.identityKey)) {
      expect(row).toMatchObject({ device_id: null, platform: null, active: 1 })
    }
  })

  it('re-registering the same token keeps the id, takes the new deviceId/platform (null when absent), reactivates and advances updatedAt', async () => {
    const alice = newClient()
    const token = newFcmToken()
    const id = await registerOk(alice, { fcmToken: token, platform: 'ios', deviceId: 'old' })
    const [before] = await storedDevices(alice.identityKey)
    await deactivate(id)

    expect(await registerOk(alice, { fcmToken: token, platform: 'web' })).toBe(id)
    const [after] = await storedDevices(alice.identityKey)
    expect(after).toMatchObject({
      id,
      device_id: null,
      platform: 'web',
      active: 1,
      created_at: before!.created_at,
    })
    expect(after!.updated_at).toBeGreaterThan(before!.updated_at)
    expect(await storedDevices(alice.identityKey)).toHaveLength(1)
  })

  it('the trimmed and untrimmed spellings of a token are one registration', async () => {
    const alice = newClient()
    const token = newFcmToken()
    const id = await registerOk(alice, { fcmToken: token })
    expect(await registerOk(alice, { fcmToken: ` ${token} ` })).toBe(id)
  })

  it('accepts a token of exactly 4096 UTF-8 bytes and a deviceId of exactly 256', async () => {
    const alice = newClient()
    await registerOk(alice, { fcmToken: 'é'.repeat(2048), deviceId: 'd'.repeat(255) + 'x' })
    await registerOk(alice, { fcmToken: newFcmToken(), deviceId: '' })
  })

  const badTokens: [string, unknown][] = [
    ['missing', undefined],
    ['null', null],
    ['a number', 12345],
    ['an object', { token: 'x' }],
    ['empty', ''],
    ['blank', ' \t\n '],
    ['over 4096 UTF-8 bytes', 'é'.repeat(2048) + 'x'],
    ['holding a control character', 'abc\u0000def'],
    ['holding a lone surrogate', 'abc\ud800def'],
  ]
  for (const [what, fcmToken] of badTokens) {
    it(`fcmToken ${what} → 400 ERR_INVALID_FCM_TOKEN, nothing stored`, async () => {
      const alice = newClient()
      const res = await alice.post('/registerDevice', { fcmToken, platform: 'ios' })
      await expectResponse(res, 400, 'ERR_INVALID_FCM_TOKEN')
      expect(await storedDevices(alice.identityKey)).toEqual([])
    })
  }

  for (const platform of ['desktop', 'IOS', 'Android ', 7, true, ['ios']]) {
    it(`platform ${JSON.stringify(platform)} → 400 ERR_INVALID_PLATFORM "platform must be one of: ios, android, web"`, async () => {
      const alice = newClient()
      const res = await alice.post('/registerDevice', { fcmToken: newFcmToken(), platform })
      const body = await expectResponse(res, 400, 'ERR_INVALID_PLATFORM')
      expect(body.description).toBe('platform must be one of: ios, android, web')
      expect(await storedDevices(alice.identityKey)).toEqual([])
    })
  }

  for (const [what, deviceId] of [
    ['over 256 UTF-8 bytes', 'é'.repeat(128) + 'x'],
    ['a number', 42],
    ['an object', { id: 'x' }],
  ] as const) {
    it(`deviceId ${what} → 400 ERR_INVALID_DEVICE_ID, nothing stored`, async () => {
      const alice = newClient()
      const res = await alice.post('/registerDevice', { fcmToken: newFcmToken(), deviceId })
      await expectResponse(res, 400, 'ERR_INVALID_DEVICE_ID')
      expect(await storedDevices(alice.identityKey)).toEqual([])
    })
  }

  it('checks fcmToken, then platform, then deviceId', async () => {
    const alice = newClient()
    const allBad = { fcmToken: '', platform: 'x', deviceId: 1 }
    await expectResponse(await alice.post('/registerDevice', allBad), 400, 'ERR_INVALID_FCM_TOKEN')
    const res = await alice.post('/registerDevice', { ...allBad, fcmToken: 't' })
    await expectResponse(res, 400, 'ERR_INVALID_PLATFORM')
  })

  it('a body that is not JSON → 400 ERR_INVALID_JSON; a JSON array → ERR_INVALID_FCM_TOKEN', async () => {
    const alice = newClient()
    const notJson = await alice.fetch('/registerDevice', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"fcmToken":',
    })
    await expectResponse(notJson, 400, 'ERR_INVALID_JSON')
    await expectResponse(await alice.post('/registerDevice', ['t']), 400, 'ERR_INVALID_FCM_TOKEN')
  })

  it('at the cap, a new registration replaces the least recently updated one', async () => {
    const alice = newClient({ fetch: relayWithEnv({ MAX_DEVICES_PER_IDENTITY: '3' }).fetch })
    const [t1, t2, t3, t4] = [newFcmToken(), newFcmToken(), newFcmToken(), newFcmToken()]
    const id1 = await registerOk(alice, { fcmToken: t1 })
    const id2 = await registerOk(alice, { fcmToken: t2 })
    const id3 = await registerOk(alice, { fcmToken: t3 })
    expect(await registerOk(alice, { fcmToken: t1 })).toBe(id1) // t1 is now the most recently updated
    const id4 = await registerOk(alice, { fcmToken: t4 })
    const kept = await storedDevices(alice.identityKey)
    expect(kept.map((d) => d.id)).toEqual([id1, id3, id4])
    expect(kept.map((d) => d.id)).not.toContain(id2)
  })

  it('with a cap of 1 the registration just made is the one kept', async () => {
    const alice = newClient({ fetch: relayWithEnv({ MAX_DEVICES_PER_IDENTITY: '1' }).fetch })
    await registerOk(alice, { fcmToken: newFcmToken() })
    const token = newFcmToken()
    const id = await registerOk(alice, { fcmToken: token })
    expect(await storedDevices(alice.identityKey)).toEqual([
      expect.objectContaining({ id, fcm_token: token }),
    ])
  })

  it("the cap counts only the caller's registrations", async () => {
    const clientOf = () => newClient({ fetch: relayWithEnv({ MAX_DEVICES_PER_IDENTITY: '2' }).fetch })
    const [alice, bob] = [clientOf(), clientOf()]
    for (let i = 0; i < 2; i++) await registerOk(alice, { fcmToken: newFcmToken() })
    for (let i = 0; i < 3; i++) await registerOk(bob, { fcmToken: newFcmToken() })
    expect(await storedDevices(alice.identityKey)).toHaveLength(2)
    expect(await storedDevices(bob.identityKey)).toHaveLength(2)
  })

  it('D1 down → 503 ERR_STORAGE_UNAVAILABLE', async () => {
    const alice = newClient({ fetch: relayWithEnv({ DB: d1Down(env.DB) }).fetch })
    await expectResponse(
      await alice.post('/registerDevice', { fcmToken: newFcmToken() }),
      503,
      'ERR_STORAGE_UNAVAILABLE',
    )
  })

  it('the upsert and the cap trim are one transaction: a batch failing at its end stores nothing and removes nothing', async () => {
    const alice = newClient({ fetch: relayWithEnv({ MAX_DEVICES_PER_IDENTITY: '1' }).fetch })
    const first = await registerOk(alice, { fcmToken: newFcmToken() })
    const failing = newClient({
      privateKey: alice.privateKey,
      fetch: relayWithEnv({ MAX_DEVICES_PER_IDENTITY: '1', DB: d1FailingAtEndOfBatch(env.DB) }).fetch,
    })
    const res = await failing.post('/registerDevice', { fcmToken: newFcmToken() })
    await expectResponse(res, 503, 'ERR_STORAGE_UNAVAILABLE')
    expect((await storedDevices(alice.identityKey)).map((d) => d.id)).toEqual([first])
  })
})

describe('GET /devices', () => {
  it('lists the caller’s devices, newest update first, token masked to its last 10 characters', async () => {
    const alice = newClient()
    const [t1, t2] = [newFcmToken(), newFcmToken()]
    const id1 = await registerOk(alice, { fcmToken: t1, platform: 'ios', deviceId: 'phone' })
    const id2 = await registerOk(alice, { fcmToken: t2 })
    const listed = await devicesOf(alice)
    expect(listed).toEqual([
      {
        id: id2,
        deviceId: null,
        platform: null,
        fcmToken: `...${t2.slice(-10)}`,
        active: true,
        createdAt: expect.stringMatching(ISO),
        updatedAt: expect.stringMatching(ISO),
        lastUsed: null,
      },
      {
        id: id1,
        deviceId: 'phone',
        platform: 'ios',
        fcmToken: `...${t1.slice(-10)}`,
        active: true,
        createdAt: expect.stringMatching(ISO),
        updatedAt: expect.stringMatching(ISO),
        lastUsed: null,
      },
    ])
    const [row] = await storedDevices(alice.identityKey)
    expect(listed[1]!.createdAt).toBe(new Date(row!.created_at).toISOString())
  })

  it('re-registering moves a device to the top; inactive devices are listed with active:false', async () => {
    const alice = newClient()
    const [t1, t2] = [newFcmToken(), newFcmToken()]
    const id1 = await registerOk(alice, { fcmToken: t1 })
    const id2 = await registerOk(alice, { fcmToken: t2 })
    await deactivate(id2)
    await registerOk(alice, { fcmToken: t1 })
    expect((await devicesOf(alice)).map((d) => [d.id, d.active])).toEqual([
      [id1, true],
      [id2, false],
    ])
  })

  it('lastUsed is an ISO timestamp once set', async () => {
    const alice = newClient()
    const id = await registerOk(alice, { fcmToken: newFcmToken() })
    await env.DB.prepare('UPDATE devices SET last_used = ? WHERE id = ?').bind(1_700_000_000_000, id).run()
    expect((await devicesOf(alice))[0]!.lastUsed).toBe('2023-11-14T22:13:20.000Z')
  })

  it('a caller with no registrations gets an empty list', async () => {
    expect(await devicesOf(newClient())).toEqual([])
  })

  it('never returns the full token', async () => {
    const alice = newClient()
    const token = newFcmToken()
    await registerOk(alice, { fcmToken: token })
    const text = await (await alice.fetch('/devices', { method: 'GET' })).text()
    expect(text).not.toContain(token.slice(0, -10))
  })

  it('D1 down → 503 ERR_STORAGE_UNAVAILABLE, never an empty list', async () => {
    const alice = newClient({ fetch: relayWithEnv({ DB: d1Down(env.DB) }).fetch })
    await expectResponse(await alice.fetch('/devices', { method: 'GET' }), 503, 'ERR_STORAGE_UNAVAILABLE')
  })
})

describe('POST /unregisterDevice', () => {
  it('deletes the caller’s registration of the token and answers the contract message', async () => {
    const alice = newClient()
    const [t1, t2] = [newFcmToken(), newFcmToken()]
    await registerOk(alice, { fcmToken: t1 })
    const id2 = await registerOk(alice, { fcmToken: t2 })
    const body = await expectResponse(await alice.post('/unregisterDevice', { fcmToken: ` ${t1} ` }), 200)
    expect(body).toEqual({ status: 'success', message: UNREGISTERED })
    expect((await storedDevices(alice.identityKey)).map((d) => d.id)).toEqual([id2])
  })

  it('answers the same 200 for a token that was never registered', async () => {
    const body = await expectResponse(
      await newClient().post('/unregisterDevice', { fcmToken: newFcmToken() }),
      200,
    )
    expect(body).toEqual({ status: 'success', message: UNREGISTERED })
  })

  it('a token registered again after unregistering gets a new id', async () => {
    const alice = newClient()
    const token = newFcmToken()
    const id = await registerOk(alice, { fcmToken: token })
    await expectResponse(await alice.post('/unregisterDevice', { fcmToken: token }), 200)
    expect(await registerOk(alice, { fcmToken: token })).not.toBe(id)
  })

  for (const [what, fcmToken] of [
    ['missing', undefined],
    ['blank', '  '],
    ['a number', 1],
    ['over 4096 UTF-8 bytes', 'x'.repeat(4097)],
  ] as const) {
    it(`fcmToken ${what} → 400 ERR_INVALID_FCM_TOKEN`, async () => {
      await expectResponse(
        await newClient().post('/unregisterDevice', { fcmToken }),
        400,
        'ERR_INVALID_FCM_TOKEN',
      )
    })
  }

  it('D1 down → 503 ERR_STORAGE_UNAVAILABLE', async () => {
    const alice = newClient({ fetch: relayWithEnv({ DB: d1Down(env.DB) }).fetch })
    const res = await alice.post('/unregisterDevice', { fcmToken: newFcmToken() })
    await expectResponse(res, 503, 'ERR_STORAGE_UNAVAILABLE')
  })
})

describe('device registrations belong to their identity', () => {
  it('the same token under two identities is two rows with two ids', async () => {
    const [alice, bob] = [newClient(), newClient()]
    const token = newFcmToken()
    const aliceId = await registerOk(alice, { fcmToken: token, platform: 'ios' })
    const bobId = await registerOk(bob, { fcmToken: token, platform: 'android' })
    expect(bobId).not.toBe(aliceId)
    expect(await storedDevices(alice.identityKey)).toEqual([
      expect.objectContaining({ id: aliceId, fcm_token: token, platform: 'ios' }),
    ])
    expect(await storedDevices(bob.identityKey)).toEqual([
      expect.objectContaining({ id: bobId, fcm_token: token, platform: 'android' }),
    ])
  })

  it('one identity cannot see another’s registrations', async () => {
    const [alice, bob] = [newClient(), newClient()]
    await registerOk(alice, { fcmToken: newFcmToken() })
    expect(await devicesOf(bob)).toEqual([])
  })

  it('registering another’s token neither changes nor reactivates their row', async () => {
    const [alice, bob] = [newClient(), newClient()]
    const token = newFcmToken()
    const aliceId = await registerOk(alice, { fcmToken: token, platform: 'ios', deviceId: 'alice-phone' })
    await deactivate(aliceId)
    const [before] = await storedDevices(alice.identityKey)
    await registerOk(bob, { fcmToken: token, platform: 'web', deviceId: 'bob' })
    expect(await storedDevices(alice.identityKey)).toEqual([before])
  })

  it('unregistering a token removes only the caller’s row', async () => {
    const [alice, bob] = [newClient(), newClient()]
    const token = newFcmToken()
    const aliceId = await registerOk(alice, { fcmToken: token })
    await expectResponse(await bob.post('/unregisterDevice', { fcmToken: token }), 200)
    expect((await storedDevices(alice.identityKey)).map((d) => d.id)).toEqual([aliceId])
    await registerOk(bob, { fcmToken: token })
    await expectResponse(await bob.post('/unregisterDevice', { fcmToken: token }), 200)
    expect(await storedDevices(bob.identityKey)).toEqual([])
    expect((await storedDevices(alice.identityKey)).map((d) => d.id)).toEqual([aliceId])
  })

  it('a second session of the same identity sees the same registrations', async () => {
    const alice = newClient()
    const id = await registerOk(alice, { fcmToken: newFcmToken() })
    const listed = await devicesOf(newClient({ privateKey: alice.privateKey }))
    expect(listed.map((d) => d.id)).toEqual([id])
  })

  for (const [method, path] of [
    ['POST', '/registerDevice'],
    ['GET', '/devices'],
    ['POST', '/unregisterDevice'],
  ] as const) {
    it(`${method} ${path} without BRC-104 → 401 UNAUTHORIZED`, async () => {
      const res = await SELF.fetch(`${RELAY_ORIGIN}${path}`, {
        method,
        headers: method === 'POST' ? { 'content-type': 'application/json' } : {},
        body: method === 'POST' ? JSON.stringify({ fcmToken: newFcmToken() }) : undefined,
      })
      expect(res.status).toBe(401)
      expect(await res.json()).toMatchObject({ status: 'error', code: 'UNAUTHORIZED' })
    })
  }
})
