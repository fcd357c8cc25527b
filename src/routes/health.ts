import { Hono } from 'hono'
import pkg from '../../package.json'
import { underPressure } from '../db/quotas'
import type { AppEnv } from '../http/context'
import { readFcmConfig } from '../push/fcm-config'

/**
 * `GET /health`: public, touches no storage; monitors and tests wait on it. `push` says whether FCM
 * credentials are configured (a present but unusable secret is a 500 ERR_SERVER_MISCONFIGURED, not "off");
 * `storage` is "pressure" while the database size this isolate last saw is above STORAGE_PRESSURE of
 * MAX_DATABASE_BYTES (heavy senders pay or wait), else "ok".
 */
export const health = new Hono<AppEnv>().get('/health', (c) =>
  c.json({
    status: 'ok',
    identityKey: c.var.serverKey.identityKey,
    version: pkg.version,
    push: readFcmConfig(c.env) === null ? 'off' : 'on',
    storage: underPressure(c.var.config) ? 'pressure' : 'ok',
  }),
)
