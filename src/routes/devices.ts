import { Hono } from 'hono'
import { type ListedDevice, listDevices, registerDevice, unregisterDevice } from '../db/devices'
import type { AppEnv } from '../http/context'
import { registerDeviceRequest, unregisterDeviceRequest } from '../validation/devices'
import { validateBody } from '../validation/validate'

/** `POST /registerDevice`, `GET /devices`, `POST /unregisterDevice`: the caller's own FCM registrations. */
export const devices = new Hono<AppEnv>()
  .post('/registerDevice', async (c) => {
    const request = validateBody(c, registerDeviceRequest)
    const identityKey = c.var.identityKey
    const cap = c.var.config.maxDevicesPerIdentity
    const id = await registerDevice(c.var.db, { ...request, identityKey, now: Date.now(), cap })
    const message = 'Device registered successfully for push notifications'
    return c.json({ status: 'success', message, deviceId: id })
  })
  .get('/devices', async (c) => {
    const rows = await listDevices(c.var.db, c.var.identityKey)
    return c.json({ status: 'success', devices: rows.map(listed) })
  })
  .post('/unregisterDevice', async (c) => {
    const { fcmToken } = validateBody(c, unregisterDeviceRequest)
    await unregisterDevice(c.var.db, c.var.identityKey, fcmToken)
    return c.json({ status: 'success', message: 'Device unregistered from push notifications' })
  })

/** The wire form: the token masked (a listing must not leak what would let anyone push to the device). */
function listed(device: ListedDevice) {
  const { id, deviceId, platform, active, createdAt, updatedAt, lastUsed } = device
  return {
    id,
    deviceId,
    platform,
    fcmToken: `...${device.fcmToken.slice(-10)}`,
    active,
    createdAt: new Date(createdAt).toISOString(),
    updatedAt: new Date(updatedAt).toISOString(),
    lastUsed: lastUsed === null ? null : new Date(lastUsed).toISOString(),
  }
}
