import { base64Bytes, randomBytes, toBase64 } from '../crypto/encoding'
import type { ServerKey } from '../crypto/server-key'
import { isJsonObject } from '../http/json-body'
import { AUTH_VERSION, MAX_DER, MIN_DER } from './wire'
import { isByteArray } from './byte-array'

/** One BRC-103 session on a live connection: the client's key and both session nonces (~200 bytes). */
export interface SocketSession {
  clientKey: string
  clientNonce: string
  serverNonce: string
}

/** What a general message carries on the live socket: `{"eventName":…,"data":…}` (docs/live-protocol.md §3.3). */
export interface LiveEvent {
  eventName: string
  data: unknown
}

/** A verified inbound general message: its session, its (single-use) nonce and its event. */
export interface OpenedMessage {
  session: SocketSession
  nonce: string
  event: LiveEvent
}

const utf8 = new TextEncoder()
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * Verifies a `general` AuthMessage against the sessions of one connection: the session named by
 * `yourNonce`, the signature over the payload bytes with keyID `"<nonce> <serverNonce>"` by the
 * **session's** client key (never the message's claim), and a payload that is the UTF-8 JSON of an event.
 * Returns null for anything else: such a frame is dropped (the caller also drops a repeated nonce).
 */
export async function openGeneralMessage(
  key: ServerKey,
  sessions: readonly SocketSession[],
  message: Record<string, unknown>,
): Promise<OpenedMessage | null> {
  const { version, messageType, identityKey, nonce, yourNonce, payload, signature } = message
  if (version !== AUTH_VERSION || messageType !== 'general') return null
  const session = sessions.find((s) => s.serverNonce === yourNonce)
  if (!session) return null
  if (typeof identityKey !== 'string' || identityKey.toLowerCase() !== session.clientKey) return null
  if (typeof nonce !== 'string' || !base64Bytes(nonce, 32)) return null
  if (!isByteArray(payload, 1, Infinity) || !isByteArray(signature, MIN_DER, MAX_DER)) return null
  const bytes = Uint8Array.from(payload)
  const keyID = `${nonce} ${session.serverNonce}`
  if (!(await key.signer.verify(bytes, Uint8Array.from(signature), keyID, session.clientKey))) return null
  const event = parseEvent(bytes)
  return event ? { session, nonce, event } : null
}

/**
 * A signed `general` AuthMessage carrying `event` to the client of `session`: a fresh nonce,
 * `yourNonce` = the client's session nonce, keyID `"<nonce> <clientNonce>"` (what the client verifies).
 */
export async function sealGeneralMessage(
  key: ServerKey,
  session: SocketSession,
  event: LiveEvent,
): Promise<Record<string, unknown>> {
  const nonce = toBase64(randomBytes(32))
  // Key order as the client writes it; `data` may be any JSON value.
  const payload = utf8.encode(JSON.stringify({ eventName: event.eventName, data: event.data }))
  const signature = await key.signer.sign(payload, `${nonce} ${session.clientNonce}`, session.clientKey)
  return {
    version: AUTH_VERSION,
    messageType: 'general',
    identityKey: key.identityKey,
    nonce,
    yourNonce: session.clientNonce,
    payload: Array.from(payload),
    signature: Array.from(signature),
  }
}

function parseEvent(bytes: Uint8Array): LiveEvent | null {
  try {
    const json: unknown = JSON.parse(utf8Strict.decode(bytes))
    if (!isJsonObject(json)) return null
    const { eventName, data } = json
    return typeof eventName === 'string' ? { eventName, data } : null
  } catch {
    return null
  }
}
