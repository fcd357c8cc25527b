import { Hono } from 'hono'
import type { AppEnv } from '../env'
import { acknowledgeMessage } from './acknowledge-message'
import { listMessages } from './list-messages'
import { sendMessage } from './send-message'

/** The authenticated BRC-33 routes, mounted behind BRC-104 by `createApp()`. */
export const routes = new Hono<AppEnv>()
  .route('/', sendMessage)
  .route('/', listMessages)
  .route('/', acknowledgeMessage)
