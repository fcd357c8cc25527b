import type { Mailbox } from './objects/mailbox'
import type { AuthVariables } from './middleware/brc104-auth'
import type { RawBodyVariables } from './middleware/raw-body'
import type { ServerKeyVariables } from './middleware/server-key'

/** Bindings declared in wrangler.toml, plus the secret set with `.dev.vars` or `wrangler secret put`. */
export interface Env {
  DB: D1Database
  MAILBOX: DurableObjectNamespace<Mailbox>
  /** Secret: the relay's identity private key, 64 hex characters. Never a var, never generated at run time. */
  SERVER_PRIVATE_KEY?: string
  SESSION_IDLE_TTL_SECONDS?: string
  SESSION_MAX_AGE_SECONDS?: string
  MAX_SESSIONS_PER_IDENTITY?: string
  MAX_REQUESTS_PER_SESSION?: string
  MAX_REQUEST_BODY_BYTES?: string
  MAX_MESSAGE_BODY_BYTES?: string
  MAX_RECIPIENTS_PER_SEND?: string
  MAX_ACKNOWLEDGE_IDS?: string
  INBOX_QUOTA?: string
  MAX_LIST_BODY_BYTES?: string
  MESSAGE_TTL_SECONDS?: string
}

/** The one Hono environment every app, route and middleware of the relay uses. */
export type AppEnv = { Bindings: Env; Variables: AuthVariables & RawBodyVariables & ServerKeyVariables }
