import { Hono } from 'hono'
import type { AppEnv } from '../env'

/** The authenticated BRC-33 routes, mounted behind BRC-104 by `createApp()`. */
export const routes = new Hono<AppEnv>()
