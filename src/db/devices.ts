import { and, desc, eq, inArray, notInArray, sql } from 'drizzle-orm'
import { devices, type Device } from '../../schema'
import type { Db } from './client'
import { guardStorage } from './storage-errors'

/** One registration as its owner gives it. */
export interface Registration {
  identityKey: string
  fcmToken: string
  deviceId: string | null
  platform: string | null
  /** Milliseconds since the epoch. */
  now: number
  /** Most registrations one identity may hold (MAX_DEVICES_PER_IDENTITY). */
  cap: number
}

/**
 * Registers (or re-registers) a device and trims the identity to `cap` registrations, in one D1 batch (one
 * transaction). The upsert targets the UNIQUE (identity, token) index, so the same pair always keeps its
 * row id, and two concurrent registrations of it cannot make two rows. A re-registration takes the given
 * deviceId and platform (null when absent, as the reference does), is active again, and its `updatedAt`
 * moves forward. The trim deletes the least recently updated of the identity's other rows beyond the cap,
 * never the row just registered.
 * @returns the row id (the `deviceId` of the answer).
 * @throws RelayError('ERR_STORAGE_UNAVAILABLE')
 */
export async function registerDevice(db: Db, r: Registration): Promise<number> {
  const upsert = db
    .insert(devices)
    .values({
      identityKey: r.identityKey,
      fcmToken: r.fcmToken,
      deviceId: r.deviceId,
      platform: r.platform,
      active: true,
      createdAt: r.now,
      updatedAt: r.now,
    })
    .onConflictDoUpdate({
      target: [devices.identityKey, devices.fcmToken],
      set: {
        deviceId: r.deviceId,
        platform: r.platform,
        active: true,
        // At least 1 ms later: the cap's "least recently updated" needs an order even within one millisecond.
        updatedAt: sql`max(excluded.updated_at, ${devices.updatedAt} + 1)`,
      },
    })
    .returning({ id: devices.id })
  const others = and(eq(devices.identityKey, r.identityKey), sql`${devices.fcmToken} <> ${r.fcmToken}`)
  const newestOthers = db
    .select({ id: devices.id })
    .from(devices)
    .where(others)
    .orderBy(desc(devices.updatedAt), desc(devices.id))
    .limit(r.cap - 1)
  const trim = db.delete(devices).where(and(others, notInArray(devices.id, newestOthers)))
  const [rows] = await guardStorage('register device', () => db.batch([upsert, trim]))
  return rows[0]!.id
}

/** A registration as its owner may see it (the token is masked by the route). */
export type ListedDevice = Omit<Device, 'identityKey'>

/**
 * The identity's registrations, most recently updated first.
 * @throws RelayError('ERR_STORAGE_UNAVAILABLE')
 */
export async function listDevices(db: Db, identityKey: string): Promise<ListedDevice[]> {
  return guardStorage('list devices', () =>
    db
      .select({
        id: devices.id,
        fcmToken: devices.fcmToken,
        deviceId: devices.deviceId,
        platform: devices.platform,
        active: devices.active,
        createdAt: devices.createdAt,
        updatedAt: devices.updatedAt,
        lastUsed: devices.lastUsed,
      })
      .from(devices)
      .where(eq(devices.identityKey, identityKey))
      .orderBy(desc(devices.updatedAt), desc(devices.id)),
  )
}

/**
 * Deletes the identity's own registration of `fcmToken`, if there is one; another identity's registration
 * of the same token is a different row and stays.
 * @throws RelayError('ERR_STORAGE_UNAVAILABLE')
 */
export async function unregisterDevice(db: Db, identityKey: string, fcmToken: string): Promise<void> {
  await guardStorage('unregister device', () =>
    db.delete(devices).where(and(eq(devices.identityKey, identityKey), eq(devices.fcmToken, fcmToken))),
  )
}

/** A device a push goes to. */
export interface PushTarget {
  id: number
  fcmToken: string
  /** As loaded: a deactivation applies only if the device was not registered again meanwhile. */
  updatedAt: number
}

/**
 * The identity's active devices, most recently updated first, at most `limit` of them (the cap bounds a
 * job's FCM requests even if it was lowered after registrations were made); only those in `ids` when given.
 * @throws RelayError('ERR_STORAGE_UNAVAILABLE')
 */
export async function activeDevices(
  db: Db,
  identityKey: string,
  limit: number,
  ids?: number[],
): Promise<PushTarget[]> {
  return guardStorage('load push targets', () =>
    db
      .select({ id: devices.id, fcmToken: devices.fcmToken, updatedAt: devices.updatedAt })
      .from(devices)
      .where(
        and(
          eq(devices.identityKey, identityKey),
          eq(devices.active, true),
          ids === undefined ? undefined : inArray(devices.id, ids),
        ),
      )
      .orderBy(desc(devices.updatedAt), desc(devices.id))
      .limit(limit),
  )
}

/** What a push job learned about its devices. */
export interface PushOutcomes {
  /** Devices FCM accepted a push for: `lastUsed` = `now`. */
  delivered: number[]
  /** Devices whose token FCM called unregistered or invalid: made inactive. */
  invalid: PushTarget[]
  now: number
}

/**
 * Records a push job's outcomes in one D1 batch. A device is made inactive only if it still has the
 * `updatedAt` it was loaded with: registering the token again while the push was under way reactivated it,
 * and that newer registration wins.
 * @throws RelayError('ERR_STORAGE_UNAVAILABLE')
 */
export async function recordPushOutcomes(db: Db, outcomes: PushOutcomes): Promise<void> {
  const { delivered, invalid, now } = outcomes
  const statements = []
  if (delivered.length > 0) {
    statements.push(db.update(devices).set({ lastUsed: now }).where(inArray(devices.id, delivered)))
  }
  if (invalid.length > 0) {
    const loaded = JSON.stringify(invalid.map((d) => [d.id, d.updatedAt]))
    statements.push(
      db
        .update(devices)
        .set({ active: false })
        .where(
          sql`(${devices.id}, ${devices.updatedAt}) IN
            (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(${loaded}))`,
        ),
    )
  }
  const [first, ...rest] = statements
  if (first) await guardStorage('record push outcomes', () => db.batch([first, ...rest]))
}
