import type { Config } from '../config'
import type { ServerKey } from '../crypto/server-key'
import type { Db } from '../db/client'
import type { Env } from '../env'

// What the middleware chain (src/app.ts) puts on a request's context, each part set by one middleware; defined
// here, below the middleware and the routes that read them, so neither imports the other for its types.

/** Set by `serverKey` for every request: the relay's key material. */
export type ServerKeyVariables = { serverKey: ServerKey }

/** Set by `requestScope` for every request: the relay's configuration and its database, each made once. */
export type RequestScopeVariables = { config: Config; db: Db }

/** Set by `requestLog`: this request's id, and the contract error code it ended with (where errors are rendered). */
export type RequestLogVariables = {
  requestId: string
  errorCode: string | undefined
}

/** Set by `rawBody`: the request body, read once and bounded. */
export type RawBodyVariables = { rawBody: Uint8Array }

/** Set by `brc104Auth`: the identity proven by the request's session. */
export type AuthVariables = { identityKey: string }

/** The one Hono environment every app, route and middleware of the relay uses. */
export type AppEnv = {
  Bindings: Env
  Variables: AuthVariables &
    RawBodyVariables &
    ServerKeyVariables &
    RequestScopeVariables &
    RequestLogVariables
}
