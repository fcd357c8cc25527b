import { Hono } from 'hono'
import type { AppEnv } from './http/context'
import { RelayError } from './errors'
import { renderError } from './http/error-response'
import { pathAsSent } from './http/path'
import { allowedMethods } from './middleware/allowed-methods'
import { brc104Auth, handshake } from './middleware/brc104-auth'
import { cors } from './middleware/cors'
import { rawBody } from './middleware/raw-body'
import { requestLog } from './middleware/request-log'
import { requestScope } from './middleware/request-scope'
import { serverKey } from './middleware/server-key'
import { docs } from './routes/docs'
import { health } from './routes/health'
import { landing } from './routes/landing'
import { openApi } from './routes/openapi'
import { routes } from './routes'
import { socketIo } from './routes/socket-io'

/**
 * The relay: CORS, 405 for a method a route does not serve, the server key, the configuration and the
 * database handle (once per request) for everyone; live
 * delivery's `/socket.io/` (its own framing and bounds, authenticated inside); the bounded raw body; then
 * the public routes;
 * then BRC-104 in front of every other path (Hono runs handlers and middleware in registration order).
 * `protectedRoutes` defaults to the BRC-33 routes; tests mount probe routes behind the same chain.
 */
export function createApp(protectedRoutes: Hono<AppEnv> = routes) {
  const app = new Hono<AppEnv>({ getPath: (request) => pathAsSent(request.url) })
  app.use(requestLog)
  app.use(cors)
  app.use(allowedMethods(app))
  app.use(serverKey)
  app.use(requestScope)
  app.route('/', socketIo)
  app.use(rawBody)
  app.route('/', health)
  app.route('/', landing)
  app.route('/', openApi)
  app.route('/', docs)
  app.route('/', handshake)
  app.use(brc104Auth())
  app.route('/', protectedRoutes)

  app.notFound((c) =>
    renderError(c, new RelayError('ERR_NOT_FOUND', `No route for ${c.req.method} ${c.req.path}.`)),
  )
  app.onError((error, c) => {
    if (error instanceof RelayError) return renderError(c, error)
    // With its cause and the request id, as one JSON line (never the request's body or headers).
    console.error(
      JSON.stringify({
        requestId: c.var.requestId,
        error: String(error),
        stack: error instanceof Error ? error.stack?.slice(0, 2000) : undefined,
      }),
    )
    return renderError(c, new RelayError('ERR_INTERNAL', 'Internal server error.'))
  })
  return app
}
