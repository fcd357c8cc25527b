import type { Env } from '../env'
import { RelayError } from '../errors'

/** What the relay needs of a Firebase service account to push through FCM HTTP v1. */
export interface FcmConfig {
  projectId: string
  /** The JWT's `iss`. */
  clientEmail: string
  /** PKCS#8 PEM. Never logged. */
  privateKey: string
  /** The JWT header's `kid`, when the account file has one. */
  privateKeyId: string | null
  /** The JWT's `aud`: the account's `token_uri`, even when FCM_TOKEN_URL sends the request elsewhere. */
  audience: string
  /** Where the JWT-bearer grant is posted. */
  tokenUrl: string
  /** Where messages are posted. */
  sendUrl: string
}

const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token'

// Parsed once per distinct (secret, overrides): routes (/health) and every queue batch read it.
const parsed = new Map<string, FcmConfig>()

/**
 * The FCM configuration, or null when FCM_SERVICE_ACCOUNT_JSON is absent or empty (push is off).
 * @throws RelayError('ERR_SERVER_MISCONFIGURED') when the secret or an endpoint override is unusable; the
 *   log names what is wrong, never the key.
 */
export function readFcmConfig(env: Env): FcmConfig | null {
  const secret = env.FCM_SERVICE_ACCOUNT_JSON
  if (secret === undefined || secret.trim() === '') return null
  const key = `${env.FCM_TOKEN_URL ?? ''}\n${env.FCM_SEND_URL ?? ''}\n${secret}`
  const cached = parsed.get(key)
  if (cached) return cached
  const config = parseConfig(secret, env.FCM_TOKEN_URL, env.FCM_SEND_URL)
  parsed.set(key, config)
  return config
}

function parseConfig(secret: string, tokenUrl: string | undefined, sendUrl: string | undefined): FcmConfig {
  let account: unknown
  try {
    account = JSON.parse(secret)
  } catch {
    throw misconfigured('FCM_SERVICE_ACCOUNT_JSON is not JSON (expected the service account file)')
  }
  if (typeof account !== 'object' || account === null || Array.isArray(account)) {
    throw misconfigured('FCM_SERVICE_ACCOUNT_JSON is not a JSON object (expected the service account file)')
  }
  const fields = account as Record<string, unknown>
  const projectId = requiredString(fields, 'project_id')
  const clientEmail = requiredString(fields, 'client_email')
  const privateKey = requiredString(fields, 'private_key')
  if (!privateKey.includes('-----BEGIN PRIVATE KEY-----')) {
    // Google issues PKCS#8; a PKCS#1 ("BEGIN RSA PRIVATE KEY") key would not import into WebCrypto.
    throw misconfigured('FCM_SERVICE_ACCOUNT_JSON private_key is not a PKCS#8 PEM ("BEGIN PRIVATE KEY")')
  }
  const privateKeyId = optionalString(fields, 'private_key_id')
  const audience = httpUrl(optionalString(fields, 'token_uri') ?? GOOGLE_TOKEN_URI, 'token_uri')
  return {
    projectId,
    clientEmail,
    privateKey,
    privateKeyId,
    audience,
    tokenUrl: tokenUrl ? httpUrl(tokenUrl, 'FCM_TOKEN_URL') : audience,
    sendUrl: sendUrl
      ? httpUrl(sendUrl, 'FCM_SEND_URL')
      : `https://fcm.googleapis.com/v1/projects/${encodeURIComponent(projectId)}/messages:send`,
  }
}

function requiredString(fields: Record<string, unknown>, name: string): string {
  const value = fields[name]
  if (typeof value !== 'string' || value.trim() === '') {
    throw misconfigured(`FCM_SERVICE_ACCOUNT_JSON has no ${name} (a non-empty string)`)
  }
  return value
}

function optionalString(fields: Record<string, unknown>, name: string): string | null {
  const value = fields[name]
  if (value === undefined || value === null || value === '') return null
  if (typeof value !== 'string') throw misconfigured(`FCM_SERVICE_ACCOUNT_JSON ${name} is not a string`)
  return value
}

function httpUrl(value: string, name: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw misconfigured(`${name} is not a URL`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw misconfigured(`${name} is not an http(s) URL`)
  return value
}

function misconfigured(what: string): RelayError {
  console.error(`relay misconfigured: ${what}`)
  return new RelayError('ERR_SERVER_MISCONFIGURED', `The relay is misconfigured: ${what}.`)
}
