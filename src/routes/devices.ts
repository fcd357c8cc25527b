import { Hono } from 'hono'
import type { AppEnv } from '../env'

// Placeholder: POST /registerDevice, GET /devices, POST /unregisterDevice land here.
export const devices = new Hono<AppEnv>()
