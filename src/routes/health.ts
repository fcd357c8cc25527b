import { Hono } from 'hono'
import pkg from '../../package.json'
import type { AppEnv } from '../env'

/** `GET /health`: public, touches no storage; monitors and tests wait on it. */
export const health = new Hono<AppEnv>().get('/health', (c) =>
  c.json({ status: 'ok', identityKey: c.var.serverKey.identityKey, version: pkg.version }),
)
