import { importPKCS8, SignJWT } from 'jose'
import type { FcmConfig } from './fcm-config'

/** Why no access token could be had: `transient` (retry later) or a configuration problem (do not). */
export class AccessTokenError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super(message)
    this.name = 'AccessTokenError'
  }
}

const SCOPE = 'https://www.googleapis.com/auth/firebase.messaging'
const GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
// Google's maximum assertion lifetime.
const ASSERTION_SECONDS = 3600
// Refreshed this long before Google says it expires, so a token never lapses between fetch and use.
const REFRESH_EARLY_MS = 5 * 60_000
const TOKEN_TIMEOUT_MS = 10_000

interface TokenState {
  key?: Promise<CryptoKey>
  token?: { value: string; freshUntil: number }
  refreshing?: Promise<string>
}

// Per isolate and per configuration (readFcmConfig returns one object per distinct secret).
const states = new WeakMap<FcmConfig, TokenState>()

/**
 * An OAuth2 access token for FCM: the cached one while fresh, else one refresh shared by every caller
 * waiting for it (a job's parallel sends make one token request, not six).
 * @throws AccessTokenError when the token endpoint refuses the grant or cannot be reached.
 */
export function accessToken(config: FcmConfig): Promise<string> {
  const state = stateOf(config)
  if (state.token && Date.now() < state.token.freshUntil) return Promise.resolve(state.token.value)
  state.refreshing ??= fetchToken(config, state).finally(() => {
    state.refreshing = undefined
  })
  return state.refreshing
}

/**
 * Forgets `token` after FCM answered 401 UNAUTHENTICATED to it, so the next `accessToken` fetches a new
 * one. A token already replaced by a newer one is left alone (parallel sends may all report the same 401).
 */
export function dropAccessToken(config: FcmConfig, token: string): void {
  const state = stateOf(config)
  if (state.token?.value === token) state.token = undefined
}

function stateOf(config: FcmConfig): TokenState {
  let state = states.get(config)
  if (!state) states.set(config, (state = {}))
  return state
}

async function fetchToken(config: FcmConfig, state: TokenState): Promise<string> {
  const assertion = await signAssertion(config, state)
  let res: Response
  try {
    res = await fetch(config.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: GRANT_TYPE, assertion }).toString(),
      signal: AbortSignal.timeout(TOKEN_TIMEOUT_MS),
    })
  } catch (error) {
    throw new AccessTokenError(`token endpoint unreachable: ${String(error)}`, true)
  }
  const text = await res.text()
  if (!res.ok) {
    // 4xx (invalid_grant: bad signature, clock skew, deleted key) is configuration; 429 and 5xx pass.
    const transient = res.status === 429 || res.status >= 500
    throw new AccessTokenError(`token endpoint answered ${res.status}: ${text.slice(0, 300)}`, transient)
  }
  const body = parseObject(text)
  const value = body?.access_token
  if (typeof value !== 'string' || value === '') {
    throw new AccessTokenError(`token endpoint answered 200 without an access_token`, true)
  }
  const expiresIn = typeof body?.expires_in === 'number' ? body.expires_in : ASSERTION_SECONDS
  state.token = { value, freshUntil: Date.now() + expiresIn * 1000 - REFRESH_EARLY_MS }
  return value
}

/** The JWT-bearer assertion (RS256), signed with the account's key (imported once per isolate). */
async function signAssertion(config: FcmConfig, state: TokenState): Promise<string> {
  state.key ??= importPKCS8(config.privateKey, 'RS256')
  let key: CryptoKey
  try {
    key = await state.key
  } catch {
    state.key = undefined
    throw new AccessTokenError(
      'FCM_SERVICE_ACCOUNT_JSON private_key does not import as an RSA PKCS#8 key',
      false,
    )
  }
  const iat = Math.floor(Date.now() / 1000)
  return new SignJWT({ scope: SCOPE })
    .setProtectedHeader({
      alg: 'RS256',
      typ: 'JWT',
      ...(config.privateKeyId ? { kid: config.privateKeyId } : {}),
    })
    .setIssuer(config.clientEmail)
    .setAudience(config.audience)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ASSERTION_SECONDS)
    .sign(key)
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null
  } catch {
    return null
  }
}
