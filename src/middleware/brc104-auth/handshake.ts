import { Hono } from 'hono'
import { isByteArray } from '../../brc103/byte-array'
import { answerInitialRequest, invalidHandshake, requireIdentityKey } from '../../brc103/initial-response'
import { base64Bytes, randomBytes, toBase64 } from '../../crypto/encoding'
import type { ServerKey } from '../../crypto/server-key'
import type { Env } from '../../env'
import { rateLimited, RelayError } from '../../errors'
import { isJsonObject, parseJsonBody } from '../../http/json-body'
import { mailbox } from '../../objects/stubs'
import type { RawBodyVariables, RequestScopeVariables, ServerKeyVariables } from '../../http/context'
import { AUTH_VERSION, MAX_DER, MIN_DER } from '../../brc103/wire'
import { limitHandshakes } from '../../http/handshake-limit'
import { isServerNonce } from '../../brc103/server-nonce'
import { claimNonce, sessionNotFound, withSessionStore } from './session-errors'

type HandshakeEnv = {
  Bindings: Env
  Variables: RawBodyVariables & ServerKeyVariables & RequestScopeVariables
}
type AuthMessage = Record<string, unknown>

const utf8 = new TextEncoder()

/**
 * `POST /.well-known/auth`: the unauthenticated half of BRC-104 (docs/protocol.md §2, §8).
 * Handshake problems are 400s with a JSON body, never 500s.
 */
export const handshake = new Hono<HandshakeEnv>().post('/.well-known/auth', async (c) => {
  // First and cheapest: the per-IP handshake limit, before any parsing or crypto.
  await limitHandshakes(c.env, c.var.config.handshakeRateLimit, c.req.raw)
  const message = parseJsonBody(c.var.rawBody)
  if (!isJsonObject(message)) invalid('The handshake body must be a JSON object.')
  if (message.version !== AUTH_VERSION) {
    invalid(`Unsupported auth version ${echo(message.version)}; expected "${AUTH_VERSION}".`)
  }
  const key = c.var.serverKey
  switch (message.messageType) {
    case 'initialRequest':
      return c.json(await initialResponse(c.env, key, message))
    case 'certificateRequest':
      return c.json(await certificateResponse(c.env, key, message))
    case 'certificateResponse':
      // We never request certificates; the client's send() has already resolved and ignores this reply.
      return c.json({})
    default:
      invalid(`Unsupported messageType ${echo(message.messageType)} on /.well-known/auth.`)
  }
})

/** Opens a session: signs `clientNonce ‖ S` for the client, stores the session, then answers. */
async function initialResponse(env: Env, key: ServerKey, message: AuthMessage) {
  const opening = await answerInitialRequest(key, message)
  const { identityKey, serverNonce, clientNonce } = opening
  await withSessionStore(() => mailbox(env, identityKey).openSession(identityKey, serverNonce, clientNonce))
  return opening.response
}

/** Answers a signed certificateRequest with an empty, signed certificateResponse (docs/protocol.md §8). */
async function certificateResponse(env: Env, key: ServerKey, message: AuthMessage) {
  const identityKey = requireIdentityKey(message.identityKey)
  const { nonce, yourNonce: serverNonce, signature } = message
  if (typeof nonce !== 'string' || !base64Bytes(nonce, 32)) invalid('nonce must be base64 of 32 bytes.')
  if (typeof serverNonce !== 'string' || !(await isServerNonce(key.nonceKey, serverNonce, identityKey))) {
    throw sessionNotFound(String(serverNonce))
  }
  if (!isByteArray(signature, MIN_DER, MAX_DER)) invalid('signature must be an array of DER bytes.')
  const signedData = utf8.encode(JSON.stringify(message.requestedCertificates))
  if (
    !(await key.signer.verify(signedData, Uint8Array.from(signature), `${nonce} ${serverNonce}`, identityKey))
  ) {
    throw new RelayError('ERR_AUTH_FAILED', 'Signature is not valid')
  }
  const { clientNonce, rateLimited: overRate } = await claimNonce(serverNonce, () =>
    mailbox(env, identityKey).claimRequest(identityKey, serverNonce, nonce),
  )
  // Rare enough on this path to answer unsigned (the client's certificate wait then times out).
  if (overRate) throw rateLimited(overRate.limit, overRate.retryAfterSeconds, 'requests for this identity')
  const responseNonce = toBase64(randomBytes(32))
  const certificates: never[] = []
  const responseSignature = await key.signer.sign(
    utf8.encode(JSON.stringify(certificates)),
    `${responseNonce} ${clientNonce}`,
    identityKey,
  )
  return {
    version: AUTH_VERSION,
    messageType: 'certificateResponse',
    identityKey: key.identityKey,
    nonce: responseNonce,
    initialNonce: serverNonce,
    yourNonce: clientNonce,
    certificates,
    signature: Array.from(responseSignature),
  }
}

/** At most this many characters of a client's value are echoed in an error (a 2 MB field is not). */
const MAX_ECHO = 64

/** A client's value for an error message: as JSON, cut to MAX_ECHO characters. */
function echo(value: unknown): string {
  const text = value === undefined ? 'undefined' : (JSON.stringify(value) ?? String(value))
  return text.length <= MAX_ECHO ? text : `${text.slice(0, MAX_ECHO)}…`
}

function invalid(description: string): never {
  throw invalidHandshake(description)
}
