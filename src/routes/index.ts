import { Hono } from 'hono'
import type { AppEnv } from '../http/context'
import { acknowledgeMessage } from './acknowledge-message'
import { devices } from './devices'
import { listMessageBoxes } from './list-message-boxes'
import { listMessages } from './list-messages'
import { permissionRoutes } from './permissions'
import { sendMessage } from './send-message'

/** The authenticated routes, mounted behind BRC-104 by `createApp()`. */
export const routes = new Hono<AppEnv>()
  .route('/', sendMessage)
  .route('/', listMessages)
  .route('/', listMessageBoxes)
  .route('/', acknowledgeMessage)
  .route('/', permissionRoutes)
  .route('/', devices)
