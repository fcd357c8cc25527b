import { Hono } from 'hono'
import type { AppEnv } from './env'
import { RelayError, toErrorBody } from './errors'
import { brc104Auth, handshake } from './middleware/brc104-auth'
import { cors } from './middleware/cors'
import { rawBody } from './middleware/raw-body'
import { serverKey } from './middleware/server-key'
import { health } from './routes/health'
import { routes } from './routes'
import { socketIo } from './routes/socket-io'

/**
 * The relay: CORS and the server key for everyone; live delivery's `/socket.io/` (its own framing and
 * bounds, authenticated inside); the bounded raw body; then the public routes;
 * then BRC-104 in front of every other path (Hono runs handlers and middleware in registration order).
 * `protectedRoutes` defaults to the BRC-33 routes; tests mount probe routes behind the same chain.
 */
export function createApp(protectedRoutes: Hono<AppEnv> = routes) {
  const app = new Hono<AppEnv>({ getPath: pathAsSent })
  app.use(cors)
  app.use(serverKey)
  app.route('/', socketIo)
  app.use(rawBody)
  app.route('/', health)
  app.route('/', handshake)
  app.use(brc104Auth())
  app.route('/', protectedRoutes)

  app.notFound((c) =>
    c.json(toErrorBody(new RelayError('ERR_NOT_FOUND', `No route for ${c.req.method} ${c.req.path}.`)), 404),
  )
  app.onError((error, c) => {
    if (error instanceof RelayError) return c.json(toErrorBody(error), error.status)
    console.error('unhandled error', error)
    return c.json(toErrorBody(new RelayError('ERR_INTERNAL', 'Internal server error.')), 500)
  })
  return app
}

/**
 * The request's path exactly as sent, percent-escapes and all (Hono decodes them by default). A path is
 * matched as sent, so `/%73endMessage` is a 404, not an alias of `/sendMessage`: one route, one spelling.
 */
function pathAsSent(request: Request): string {
  const url = request.url
  const start = url.indexOf('/', url.indexOf('://') + 3)
  const query = url.indexOf('?', start)
  return url.slice(start, query === -1 ? undefined : query)
}
