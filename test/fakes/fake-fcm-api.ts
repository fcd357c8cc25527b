/**
 * The fake FCM's control API, shared by the fake (Node) and the tests that drive it (workerd and Node).
 * No imports: this file type-checks on both sides.
 *
 * Control routes, all JSON:
 * - `GET  /_pushes?token=T`         → `RecordedPush[]` accepted (200) for device token T, oldest first
 * - `GET  /_attempts?token=T`       → `SendAttempt[]` every send for T, whatever it was answered
 * - `GET  /_token-requests?iss=E`   → `TokenRequest[]` accepted token requests of account E
 * - `GET  /_concurrency?projectId=P` → `{max}`: the most sends to project P ever in flight at once
 * - `POST /_script`  `{token, answers: ScriptedAnswer[]}` → the next sends to `token` get these, in order
 * - `POST /_revoke`  `{iss}`        → every access token issued to account E stops working (401)
 * - `POST /_accounts` `{projectId?, privateKeyId?}` → `{serviceAccountJson, clientEmail, projectId}`: a
 *   new account the fake trusts (its own token cache, its own token-request count)
 * - `POST /_down`    `{down: bool, projectId?}` → while down, token and send requests (of that project's
 *   accounts only, when given) have their connection cut: to the relay, FCM is unreachable
 */

/** A message FCM accepted, as it arrived. */
export interface RecordedPush {
  projectId: string
  /** The device token (`message.token`). */
  token: string
  /** The whole request body (`{message: …}`). */
  body: Record<string, unknown>
  /** `client_email` of the account whose access token sent it. */
  iss: string
  at: number
}

/** One send request and the status it got (0: the connection was cut). */
export interface SendAttempt {
  token: string | null
  status: number
  at: number
}

/** One accepted JWT-bearer token request. */
export interface TokenRequest {
  iss: string
  aud: string
  kid: string | null
  scope: string
  at: number
}

/**
 * How the fake answers one send: one of FCM's real error shapes, or a raw answer. `retryAfter` (seconds)
 * goes with UNAVAILABLE / INTERNAL / QUOTA_EXCEEDED.
 */
export type ScriptedAnswer =
  | {
      error:
        | 'UNREGISTERED'
        | 'INVALID_TOKEN'
        | 'INVALID_PAYLOAD'
        | 'SENDER_ID_MISMATCH'
        | 'UNAUTHENTICATED'
        | 'PERMISSION_DENIED'
        | 'THIRD_PARTY_AUTH_ERROR'
        | 'NOT_FOUND_NO_DETAILS'
        | 'QUOTA_EXCEEDED'
        | 'UNAVAILABLE'
        | 'INTERNAL'
      retryAfter?: number
    }
  | { status: number; body: unknown; retryAfter?: number }
  /** 200, after `delayMs` when given (to hold sends in flight). */
  | { ok: true; delayMs?: number }
  /** The connection is cut before any answer (a network error to the relay). */
  | { disconnect: true }
