import type { LiveConnection } from './objects/live-connection'
import type { Mailbox } from './objects/mailbox'
import type { PushJob } from './push/push-job'
import type { AuthVariables } from './middleware/brc104-auth'
import type { RawBodyVariables } from './middleware/raw-body'
import type { RequestLogVariables } from './middleware/request-log'
import type { ServerKeyVariables } from './middleware/server-key'

/** Bindings declared in wrangler.toml, plus the secret set with `.dev.vars` or `wrangler secret put`. */
export interface Env {
  DB: D1Database
  MAILBOX: DurableObjectNamespace<Mailbox>
  /** One per live socket.io connection, named by its Engine.IO sid (src/objects/live-connection.ts). */
  LIVE: DurableObjectNamespace<LiveConnection>
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
  INBOX_BYTES_QUOTA?: string
  SENDER_PER_RECIPIENT_QUOTA?: string
  SENDER_MESSAGES_QUOTA?: string
  SENDER_BYTES_QUOTA?: string
  MAX_STORED_BODY_BYTES?: string
  MAX_DATABASE_BYTES?: string
  /** Sybil resistance (contract.md "Identities are free"): see src/config.ts. */
  STRANGER_INBOX_SHARE?: string
  NETWORK_BYTES_QUOTA?: string
  STORAGE_PRESSURE?: string
  PRESSURE_SENDER_BYTES?: string
  PRESSURE_DELIVERY_FEE?: string
  HANDSHAKE_RATE_LIMIT?: string
  /** Workers Rate Limiting binding (wrangler.toml `[[ratelimits]]`): handshakes per client IP. */
  HANDSHAKE_RATE_LIMITER?: RateLimit
  REQUEST_RATE_LIMIT?: string
  /** JSON `{box: sats}`: the relay's fee per send into a box. */
  DELIVERY_FEES?: string
  /** JSON `{box: sats}`: a recipient's fee for a box where it set no rule (-1 blocks). */
  DEFAULT_RECIPIENT_FEES?: string
  /** JSON array of boxes whose new messages are pushed to the recipient's devices. */
  PUSH_BOXES?: string
  MAX_DEVICES_PER_IDENTITY?: string
  /** Push fan-out: one job per recipient of a committed send (src/push/). */
  PUSH_QUEUE: Queue<PushJob>
  /** Secret: the Firebase service account file (JSON). Without it push is off. */
  FCM_SERVICE_ACCOUNT_JSON?: string
  /** Overrides the account's `token_uri` (tests and local development point it at a fake). */
  FCM_TOKEN_URL?: string
  /** Overrides `https://fcm.googleapis.com/v1/projects/{project_id}/messages:send`. */
  FCM_SEND_URL?: string
  /** WhatsOnChain-compatible block-header API that verifies payments (default WhatsOnChain mainnet). */
  CHAIN_TRACKER_URL?: string
  /** ARC-compatible broadcaster that paid sends' transactions go to (default GorillaPool's mainnet ARC). */
  ARC_URL?: string
  /** Secret, optional: the broadcaster's API key, sent as `Authorization: Bearer <key>`. */
  ARC_API_KEY?: string
  LIVE_PING_INTERVAL_MS?: string
  LIVE_PING_TIMEOUT_MS?: string
  LIVE_AUTH_TIMEOUT_MS?: string
  LIVE_MAX_CONNECTIONS_PER_IDENTITY?: string
  LIVE_MAX_ROOMS_PER_CONNECTION?: string
  LIVE_MAX_FRAME_BYTES?: string
}

/** The one Hono environment every app, route and middleware of the relay uses. */
export type AppEnv = {
  Bindings: Env
  Variables: AuthVariables & RawBodyVariables & ServerKeyVariables & RequestLogVariables
}
