import { randomBytes, verify } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { RecordedPush, ScriptedAnswer, SendAttempt, TokenRequest } from './fake-fcm-api'
import { sendJson, serveFake } from './http'
import { makeServiceAccount, type TestServiceAccount } from './service-account'

/** A running fake of Google's OAuth2 token endpoint and FCM HTTP v1, on 127.0.0.1. */
export interface FakeFcm {
  /** Base URL; the control routes of fake-fcm-api.ts live here. */
  url: string
  /** For FCM_TOKEN_URL. */
  tokenUrl: string
  /** For FCM_SEND_URL (the default account's project). */
  sendUrl: string
  /** The default account, for FCM_SERVICE_ACCOUNT_JSON. */
  account: TestServiceAccount
  close(): Promise<void>
}

const GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
const SCOPES = [
  'https://www.googleapis.com/auth/firebase.messaging',
  'https://www.googleapis.com/auth/cloud-platform',
]
const SEND_PATH = /^\/v1\/projects\/([^/]+)\/messages:send$/
// Google tolerates a little clock skew on iat.
const SKEW_SECONDS = 300

/**
 * Starts the fake on a free port. It checks what Google checks (the RS256 assertion against the account's
 * public key, grant type, iss, aud, scope, lifetime; the Bearer token and its project on sends; string
 * `data` values), records what it accepts, and answers sends as scripted per device token (200 otherwise).
 * The server is unref'd: it never keeps a test run alive.
 */
export async function startFakeFcm(): Promise<FakeFcm> {
  const account = makeServiceAccount()
  const accounts = new Map<string, TestServiceAccount>([[account.clientEmail, account]])
  const accessTokens = new Map<string, string>() // access token → iss
  const pushes: RecordedPush[] = []
  const attempts: SendAttempt[] = []
  const tokenRequests: TokenRequest[] = []
  const scripts = new Map<string, ScriptedAnswer[]>()
  // Sends being answered right now, and the most ever at once, per project.
  const inFlight = new Map<string, number>()
  const maxInFlight = new Map<string, number>()
  // null: up; '*': everything down; else the project whose requests are cut.
  let down: string | null = null

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL, body: string) {
    if (url.pathname.startsWith('/_')) return control(req.method ?? 'GET', url, body, res)
    const send = SEND_PATH.exec(url.pathname)
    const project = send ? decodeURIComponent(send[1]!) : projectOfAssertion(body)
    if (down === '*' || (down !== null && down === project)) return void req.socket.destroy()
    if (req.method === 'POST' && url.pathname === '/token') return token(body, res)
    if (req.method === 'POST' && send) {
      track(project!, res)
      return message(project!, req, body, res)
    }
    json(res, 404, { error: { code: 404, message: 'Not Found', status: 'NOT_FOUND' } })
  }

  function track(projectId: string, res: ServerResponse) {
    const now = (inFlight.get(projectId) ?? 0) + 1
    inFlight.set(projectId, now)
    maxInFlight.set(projectId, Math.max(now, maxInFlight.get(projectId) ?? 0))
    res.once('close', () => inFlight.set(projectId, (inFlight.get(projectId) ?? 1) - 1))
  }

  function control(method: string, url: URL, body: string, res: ServerResponse) {
    const q = (name: string) => url.searchParams.get(name)
    const input = (body ? JSON.parse(body) : {}) as Record<string, any>
    const route = `${method} ${url.pathname}`
    if (route === 'GET /_pushes')
      return json(
        res,
        200,
        pushes.filter((p) => p.token === q('token')),
      )
    if (route === 'GET /_attempts')
      return json(
        res,
        200,
        attempts.filter((a) => a.token === q('token')),
      )
    if (route === 'GET /_concurrency')
      return json(res, 200, { max: maxInFlight.get(q('projectId') ?? '') ?? 0 })
    if (route === 'GET /_token-requests')
      return json(
        res,
        200,
        tokenRequests.filter((t) => t.iss === q('iss')),
      )
    if (route === 'POST /_script') {
      scripts.set(input.token, [...(scripts.get(input.token) ?? []), ...input.answers])
      return json(res, 200, {})
    }
    if (route === 'POST /_revoke') {
      for (const [value, iss] of accessTokens) if (iss === input.iss) accessTokens.delete(value)
      return json(res, 200, {})
    }
    if (route === 'POST /_accounts') {
      const created = makeServiceAccount({ projectId: input.projectId, privateKeyId: input.privateKeyId })
      accounts.set(created.clientEmail, created)
      const { json: serviceAccountJson, clientEmail, projectId } = created
      return json(res, 200, { serviceAccountJson, clientEmail, projectId })
    }
    if (route === 'POST /_down') {
      down = input.down === true ? (input.projectId ?? '*') : null
      return json(res, 200, {})
    }
    json(res, 404, { error: `no control route ${route}` })
  }

  /** The project of the account a token request's assertion names, if any. */
  function projectOfAssertion(body: string): string | undefined {
    const claims = decodeJson(new URLSearchParams(body).get('assertion')?.split('.')[1] ?? '') as any
    return accounts.get(claims?.iss)?.projectId
  }

  /** The OAuth2 JWT-bearer grant, checked as Google checks it. */
  function token(body: string, res: ServerResponse) {
    const form = new URLSearchParams(body)
    const refuse = (description: string) =>
      json(res, 400, { error: 'invalid_grant', error_description: description })
    if (form.get('grant_type') !== GRANT_TYPE) return json(res, 400, { error: 'unsupported_grant_type' })
    const parts = (form.get('assertion') ?? '').split('.')
    if (parts.length !== 3) return refuse('Invalid JWT: malformed.')
    const [header, claims] = parts.slice(0, 2).map((part) => decodeJson(part!)) as [any, any]
    const known = accounts.get(claims?.iss)
    if (!header || !claims || !known) return refuse('Invalid JWT: unknown issuer.')
    const signed = Buffer.from(`${parts[0]}.${parts[1]}`)
    const signature = Buffer.from(parts[2]!, 'base64url')
    if (header.alg !== 'RS256' || !verify('RSA-SHA256', signed, known.publicKey, signature)) {
      return refuse('Invalid JWT Signature.')
    }
    if (known.privateKeyId !== null && header.kid !== known.privateKeyId)
      return refuse('Invalid JWT: unknown kid.')
    if (claims.aud !== known.tokenUri) return refuse(`Invalid JWT: aud must be ${known.tokenUri}.`)
    if (!SCOPES.includes(claims.scope)) return json(res, 400, { error: 'invalid_scope' })
    const now = Math.floor(Date.now() / 1000)
    const lifetime = claims.exp - claims.iat
    if (!Number.isInteger(claims.iat) || !Number.isInteger(claims.exp) || lifetime <= 0 || lifetime > 3600) {
      return refuse('Invalid JWT: exp - iat must be 1..3600 seconds.')
    }
    if (claims.iat > now + SKEW_SECONDS || claims.exp < now)
      return refuse('Invalid JWT: Token must be a short-lived token.')
    tokenRequests.push({
      iss: claims.iss,
      aud: claims.aud,
      kid: header.kid ?? null,
      scope: claims.scope,
      at: Date.now(),
    })
    const accessToken = `ya29.fake-${randomBytes(24).toString('hex')}`
    accessTokens.set(accessToken, claims.iss)
    json(res, 200, { access_token: accessToken, expires_in: 3599, token_type: 'Bearer' })
  }

  /** One FCM v1 send: auth, project, payload shape, then the scripted (or 200) answer. */
  function message(projectId: string, req: IncomingMessage, body: string, res: ServerResponse) {
    const parsed = decodeJsonText(body) as { message?: Record<string, any> } | null
    const deviceToken = typeof parsed?.message?.token === 'string' ? parsed.message.token : null
    const answer = (status: number, payload: unknown, retryAfter?: number) => {
      attempts.push({ token: deviceToken, status, at: Date.now() })
      json(res, status, payload, retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) })
    }
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
    const iss = bearer === undefined ? undefined : accessTokens.get(bearer)
    if (iss === undefined)
      return answer(401, fcmError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.'))
    if (accounts.get(iss)?.projectId !== projectId) {
      return answer(403, fcmError(403, 'PERMISSION_DENIED', `Permission denied on project ${projectId}.`))
    }
    const problem = payloadProblem(parsed)
    if (problem)
      return answer(400, fcmError(400, 'INVALID_ARGUMENT', problem.message, [badRequest(problem.field)]))
    const scripted = deviceToken === null ? undefined : scripts.get(deviceToken)?.shift()
    if (scripted && 'disconnect' in scripted) {
      attempts.push({ token: deviceToken, status: 0, at: Date.now() })
      return void req.socket.destroy()
    }
    if (scripted && !('ok' in scripted)) {
      const [status, payload] =
        'error' in scripted ? scriptedError(scripted.error) : [scripted.status, scripted.body]
      return answer(status, payload, scripted.retryAfter)
    }
    const delayMs = scripted && 'ok' in scripted ? (scripted.delayMs ?? 0) : 0
    setTimeout(() => accept(projectId, deviceToken!, parsed as Record<string, unknown>, iss, answer), delayMs)
  }

  function accept(
    projectId: string,
    deviceToken: string,
    parsed: Record<string, unknown>,
    iss: string,
    answer: (status: number, payload: unknown) => void,
  ) {
    pushes.push({
      projectId,
      token: deviceToken,
      body: parsed,
      iss,
      at: Date.now(),
    })
    answer(200, { name: `projects/${projectId}/messages/0:${Date.now()}%${randomBytes(8).toString('hex')}` })
  }

  const { url, close } = await serveFake(handle)
  return {
    url,
    tokenUrl: `${url}/token`,
    sendUrl: `${url}/v1/projects/${account.projectId}/messages:send`,
    account,
    close,
  }
}

/** What real FCM would refuse in a message's shape: no token, or a non-string `data` value. */
function payloadProblem(
  parsed: { message?: Record<string, any> } | null,
): { field: string; message: string } | null {
  const message = parsed?.message
  if (typeof message !== 'object' || message === null)
    return { field: 'message', message: 'Missing message.' }
  if (typeof message.token !== 'string' || message.token === '') {
    return { field: 'message.token', message: 'The registration token is not a valid FCM registration token' }
  }
  for (const [key, value] of Object.entries(message.data ?? {})) {
    if (typeof value !== 'string') {
      return {
        field: `message.data[${key}].value`,
        message: `Invalid value at 'message.data[0].value' (TYPE_STRING)`,
      }
    }
  }
  return null
}

function scriptedError(error: Extract<ScriptedAnswer, { error: string }>['error']): [number, unknown] {
  switch (error) {
    case 'UNREGISTERED':
      return [404, fcmError(404, 'NOT_FOUND', 'Requested entity was not found.', [fcmDetail('UNREGISTERED')])]
    case 'INVALID_TOKEN':
      return [
        400,
        fcmError(400, 'INVALID_ARGUMENT', 'The registration token is not a valid FCM registration token', [
          fcmDetail('INVALID_ARGUMENT'),
        ]),
      ]
    case 'INVALID_PAYLOAD':
      return [
        400,
        fcmError(400, 'INVALID_ARGUMENT', "Invalid value at 'message.data[0].value' (TYPE_STRING), 42", [
          fcmDetail('INVALID_ARGUMENT'),
          badRequest('message.data[0].value'),
        ]),
      ]
    case 'SENDER_ID_MISMATCH':
      return [403, fcmError(403, 'PERMISSION_DENIED', 'SenderId mismatch', [fcmDetail('SENDER_ID_MISMATCH')])]
    case 'UNAUTHENTICATED':
      return [401, fcmError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.')]
    case 'PERMISSION_DENIED':
      return [403, fcmError(403, 'PERMISSION_DENIED', 'Permission denied.')]
    case 'THIRD_PARTY_AUTH_ERROR':
      return [
        401,
        fcmError(401, 'UNAUTHENTICATED', 'Auth error from APNS or Web Push Service', [
          fcmDetail('THIRD_PARTY_AUTH_ERROR'),
        ]),
      ]
    case 'NOT_FOUND_NO_DETAILS':
      return [404, fcmError(404, 'NOT_FOUND', 'Requested entity was not found.')]
    case 'QUOTA_EXCEEDED':
      return [429, fcmError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded.', [fcmDetail('QUOTA_EXCEEDED')])]
    case 'UNAVAILABLE':
      return [
        503,
        fcmError(503, 'UNAVAILABLE', 'The service is currently unavailable.', [fcmDetail('UNAVAILABLE')]),
      ]
    case 'INTERNAL':
      return [500, fcmError(500, 'INTERNAL', 'Internal error encountered.', [fcmDetail('INTERNAL')])]
  }
}

function fcmError(code: number, status: string, message: string, details: unknown[] = []) {
  return { error: { code, message, status, details } }
}

function fcmDetail(errorCode: string) {
  return { '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode }
}

function badRequest(field: string) {
  return {
    '@type': 'type.googleapis.com/google.rpc.BadRequest',
    fieldViolations: [{ field, description: `Invalid value at '${field}'` }],
  }
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  sendJson(res, status, body, { 'Content-Type': 'application/json; charset=UTF-8', ...headers })
}

function decodeJson(base64url: string): unknown {
  return decodeJsonText(Buffer.from(base64url, 'base64url').toString('utf8'))
}

function decodeJsonText(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}
