import { integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'

/**
 * Devices registered for FCM push (contract.md "Devices and push"). A registration belongs to one
 * identity: two identities may register the same token, and neither can move or remove the other's.
 */
export const devices = sqliteTable(
  'devices',
  {
    /** Stable for the same (identity, token) while it stays registered; the `deviceId` of /registerDevice. */
    id: integer().primaryKey({ autoIncrement: true }),
    /** 66-char lowercase compressed hex. */
    identityKey: text().notNull(),
    /** Never returned whole. */
    fcmToken: text().notNull(),
    /** The app's own name for the device, if it gave one. */
    deviceId: text(),
    /** 'ios' | 'android' | 'web', if given. */
    platform: text(),
    /** Cleared when FCM reports the token unregistered or invalid; set again by re-registering. */
    active: integer({ mode: 'boolean' }).notNull(),
    /** Milliseconds since the epoch. */
    createdAt: integer().notNull(),
    /** Milliseconds since the epoch; the cap replaces the least recently updated. */
    updatedAt: integer().notNull(),
    /** Milliseconds since the epoch of the last push FCM accepted, or null. */
    lastUsed: integer(),
  },
  // The upsert target; also every per-identity read (its leading column).
  (t) => [uniqueIndex('devices_identity_token_uq').on(t.identityKey, t.fcmToken)],
)

/** A stored device row. */
export type Device = typeof devices.$inferSelect
