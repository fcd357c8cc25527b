import { createMiddleware } from 'hono/factory'
import { loadServerKey, type ServerKey } from '../crypto/server-key'
import type { Env } from '../env'
import type { ServerKeyVariables } from '../http/context'

/**
 * Loads the relay's key material (once per isolate) before anything else runs, so a missing or
 * invalid SERVER_PRIVATE_KEY answers every request with 500 ERR_SERVER_MISCONFIGURED.
 */
export const serverKey = createMiddleware<{
  Bindings: Pick<Env, 'SERVER_PRIVATE_KEY'>
  Variables: ServerKeyVariables
}>(async function serverKey(c, next) {
  c.set('serverKey', await loadServerKey(c.env.SERVER_PRIVATE_KEY))
  await next()
})
