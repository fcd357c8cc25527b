import { Hono } from 'hono'
import type { AppEnv } from '../env'

// Placeholder: /permissions/set, /permissions/get, /permissions/list, /permissions/quote land here.
export const permissionRoutes = new Hono<AppEnv>()
