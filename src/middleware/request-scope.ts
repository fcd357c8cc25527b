import { createMiddleware } from 'hono/factory'
import { readConfig } from '../config'
import { createDb } from '../db/client'
import type { Env } from '../env'
import type { RequestScopeVariables } from '../http/context'

/**
 * Reads the relay's configuration and opens its database handle once per request, for every middleware and
 * route after it (`c.var.config`, `c.var.db`). An invalid var answers every request with 500
 * ERR_SERVER_MISCONFIGURED, before anything else looks at the request.
 */
export const requestScope = createMiddleware<{ Bindings: Env; Variables: RequestScopeVariables }>(
  async function requestScope(c, next) {
    c.set('config', readConfig(c.env))
    c.set('db', createDb(c.env.DB))
    await next()
  },
)
