/**
 * The Worker's environment: every binding and var of wrangler.toml, generated from it by `wrangler types`
 * (src/worker-configuration.d.ts: `npm run types` after changing wrangler.toml; CI checks it is current), and
 * what wrangler.toml cannot list: the secrets, set with `.dev.vars` locally and `wrangler secret put` in
 * production (a test environment may declare them present; here they stay optional). Vars are read and
 * validated once, in src/config.ts.
 */
export type Env = Omit<Cloudflare.Env, keyof Secrets> & Secrets

/** Each may be absent: the relay says what is missing rather than assume it. */
type Secrets = {
  /** The relay's identity private key, 64 hex characters. Never a var, never generated at run time. */
  SERVER_PRIVATE_KEY?: string
  /** The Firebase service account file (JSON). Without it push is off. */
  FCM_SERVICE_ACCOUNT_JSON?: string
  /** Overrides the account's `token_uri` (tests and local development point it at a fake). */
  FCM_TOKEN_URL?: string
  /** Overrides `https://fcm.googleapis.com/v1/projects/{project_id}/messages:send`. */
  FCM_SEND_URL?: string
  /** Optional: the ARC broadcaster's API key, sent as `Authorization: Bearer <key>`. */
  ARC_API_KEY?: string
}
