import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { createDb } from '../../src/db/client'
import { activeDevices, recordPushOutcomes, registerDevice } from '../../src/db/devices'
import { storedDevices } from '../helpers/devices'
import { randomKey } from '../helpers/messages'

const db = createDb(env.DB)
const register = (identityKey: string, fcmToken: string, now: number) =>
  registerDevice(db, { identityKey, fcmToken, deviceId: null, platform: null, now, cap: 20 })

describe('recordPushOutcomes', () => {
  it('does not deactivate a device registered again after the push job loaded it', async () => {
    const me = randomKey()
    const id = await register(me, 'token-a', 1_000)
    const [loaded] = await activeDevices(db, me, 20)
    await register(me, 'token-a', 2_000) // the app re-registered while the push was in flight
    await recordPushOutcomes(db, { delivered: [], invalid: [loaded!], now: 3_000 })
    expect(await storedDevices(me)).toEqual([expect.objectContaining({ id, active: 1 })])
  })

  it('deactivates a device unchanged since it was loaded, and sets lastUsed on delivered ones, in one call', async () => {
    const me = randomKey()
    const dead = await register(me, 'token-dead', 1_000)
    const alive = await register(me, 'token-alive', 1_000)
    const targets = await activeDevices(db, me, 20)
    const deadTarget = targets.find((t) => t.id === dead)!
    await recordPushOutcomes(db, { delivered: [alive], invalid: [deadTarget], now: 5_000 })
    expect(await storedDevices(me)).toEqual([
      expect.objectContaining({ id: dead, active: 0, last_used: null }),
      expect.objectContaining({ id: alive, active: 1, last_used: 5_000 }),
    ])
  })
})

describe('registerDevice', () => {
  it('a re-registration in the same millisecond still moves updatedAt forward', async () => {
    const me = randomKey()
    await register(me, 'token-a', 1_000)
    await register(me, 'token-a', 1_000)
    expect((await storedDevices(me))[0]!.updated_at).toBe(1_001)
  })
})
