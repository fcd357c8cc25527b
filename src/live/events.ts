import type { LiveEvent, SocketSession } from '../brc103/general-message'
import type { Config } from '../config'
import type { ServerKey } from '../crypto/server-key'
import type { Db } from '../db/client'
import { runSend } from '../delivery/send-pipeline'
import type { Env } from '../env'
import { rateLimited, RelayError } from '../errors'
import { isJsonObject } from '../http/json-body'
import { mailbox } from '../objects/stubs'
import { canonicalIdentityKey } from '../validation/identity-key'
import { sendMessageRequest } from '../validation/send-message'
import type { ConnectionState } from './connection-state'
import { MAX_ROOM_ID_LENGTH, parseRoom, roomId } from './room'

/** What the MessageBox events need of the connection they arrived on. */
export interface EventContext {
  env: Env
  state: ConnectionState
  /** The verified session the event came on: replies are signed for it. */
  session: SocketSession
  /** Persists `state` after a change. */
  save(): void
  reply(event: LiveEvent): Promise<void>
  /** Closes connections the identity's Mailbox dropped over its cap. */
  closeConnections(sids: string[]): void
  background(work: Promise<unknown>): void
  /** Seconds to wait when this event is over its identity's REQUEST_RATE_LIMIT (one budget with HTTP), else null. */
  retryAfterSeconds: number | null
  /** The client's network, as its sends count against the network quotas. */
  network: string
  /** The relay's configuration, as the connection read it. */
  config: Config
  /** The connection's database handle and the server key, made once per connection object. */
  db: Db
  serverKey: ServerKey
}

/**
 * The MessageBox application events (docs/contract.md "Live delivery"; docs/live-protocol.md §4). Unknown events
 * are ignored; every refusal is answered with the event the client listens for, so a refused send costs
 * the client an HTTP fallback, not its 10 s wait. Events over the rate limit are dropped, except a send,
 * which is refused (429 ERR_RATE_LIMITED) so its HTTP fallback meets the same limit.
 */
export async function handleEvent(ctx: EventContext, event: LiveEvent): Promise<void> {
  if (ctx.retryAfterSeconds !== null && event.eventName !== 'sendMessage') return
  switch (event.eventName) {
    case 'authenticated':
      return authenticated(ctx, event.data)
    case 'joinRoom':
      return joinRoom(ctx, event.data)
    case 'leaveRoom':
      return leaveRoom(ctx, event.data)
    case 'sendMessage':
      return sendMessage(ctx, event.data)
  }
}

/** Confirms the identity the session proved; a claim of any other key is refused. */
async function authenticated(ctx: EventContext, data: unknown): Promise<void> {
  const { state, session } = ctx
  const claimed =
    isJsonObject(data) && typeof data.identityKey === 'string' ? data.identityKey.toLowerCase() : null
  if (claimed !== session.clientKey) {
    return ctx.reply(failed('authenticationFailed', 'identityKey is not the key this session authenticated.'))
  }
  if (state.identity !== null && state.identity !== session.clientKey) {
    return ctx.reply(failed('authenticationFailed', 'This connection is authenticated as another identity.'))
  }
  if (state.identity === null) {
    ctx.closeConnections(await mailbox(ctx.env, session.clientKey).attachLive(session.clientKey, state.sid))
    state.identity = session.clientKey
  }
  state.pushSession = session.serverNonce
  ctx.save()
  return ctx.reply({ eventName: 'authenticationSuccess', data: { status: 'success' } })
}

async function joinRoom(ctx: EventContext, data: unknown): Promise<void> {
  const identity = identityOf(ctx)
  if (identity === null) return ctx.reply(failed('joinFailed', NOT_AUTHENTICATED))
  const room = parseRoom(data)
  if (room === null || room.key !== identity) return ctx.reply(failed('joinFailed', ownRoomsOnly(identity)))
  const joined = await mailbox(ctx.env, identity).joinLive(ctx.state.sid, room.box)
  if (joined === 'joined') return ctx.reply({ eventName: 'joinedRoom', data: { roomId: roomId(room) } })
  const { liveMaxRoomsPerConnection } = ctx.config
  return ctx.reply(
    failed(
      'joinFailed',
      joined === 'too-many-rooms'
        ? `At most ${liveMaxRoomsPerConnection} rooms per connection.`
        : 'This connection is no longer registered; reconnect.',
    ),
  )
}

async function leaveRoom(ctx: EventContext, data: unknown): Promise<void> {
  const identity = identityOf(ctx)
  if (identity === null) return ctx.reply(failed('leaveFailed', NOT_AUTHENTICATED))
  const room = parseRoom(data)
  if (room === null || room.key !== identity) return ctx.reply(failed('leaveFailed', ownRoomsOnly(identity)))
  await mailbox(ctx.env, identity).leaveLive(ctx.state.sid, room.box)
  return ctx.reply({ eventName: 'leftRoom', data: { roomId: roomId(room) } })
}

/**
 * `sendMessage` runs the HTTP route's pipeline (validation, permissions and fees, quotas, idempotency)
 * and is acknowledged only after the commit. The recipient and box come from `roomId`; a
 * `message.recipient` that names someone else is refused rather than guessed at.
 */
async function sendMessage(ctx: EventContext, data: unknown): Promise<void> {
  const request = isJsonObject(data) ? data : {}
  const ackRoom = request.roomId
  // The acknowledgement's name echoes roomId: without a bounded string there is nothing to answer to.
  if (typeof ackRoom !== 'string' || ackRoom.length === 0 || ackRoom.length > MAX_ROOM_ID_LENGTH) return
  const ack = (result: Record<string, unknown>) =>
    ctx.reply({ eventName: `sendMessageAck-${ackRoom}`, data: result })
  try {
    const sender = identityOf(ctx)
    if (sender === null) throw new RelayError('ERR_NOT_AUTHENTICATED', NOT_AUTHENTICATED)
    if (ctx.retryAfterSeconds !== null) {
      const limit = ctx.config.requestRateLimit
      throw rateLimited(limit, ctx.retryAfterSeconds, 'requests for this identity')
    }
    const room = parseRoom(ackRoom)
    const message = isJsonObject(request.message) ? request.message : {}
    const named = message.recipient === undefined ? room?.key : canonicalIdentityKey(message.recipient)
    if (room === null || named !== room.key) {
      throw new RelayError(
        'ERR_INVALID_ROOM',
        'roomId must be "<recipient key>-<box>" and name message.recipient.',
      )
    }
    const validated = sendMessageRequest(
      {
        message: {
          recipient: room.key,
          messageBox: room.box,
          body: message.body,
          messageId: message.messageId,
        },
      },
      ctx.config,
    )
    const scope = { env: ctx.env, config: ctx.config, db: ctx.db, serverKey: ctx.serverKey }
    const [result] = await runSend(scope, validated, { sender, network: ctx.network }, ctx.background)
    return ack({ status: 'success', messageId: result!.messageId })
  } catch (error) {
    if (error instanceof RelayError) {
      return ack({ status: 'error', code: error.code, description: error.message })
    }
    console.error('live sendMessage failed:', error)
    return ack({ status: 'error', code: 'ERR_INTERNAL', description: 'Internal server error.' })
  }
}

/** The connection's identity, if this event's session is the one that proved it. */
function identityOf(ctx: EventContext): string | null {
  return ctx.state.identity !== null && ctx.session.clientKey === ctx.state.identity
    ? ctx.state.identity
    : null
}

const NOT_AUTHENTICATED = 'Send "authenticated" with your identity key first.'

function ownRoomsOnly(identity: string): string {
  return `Only your own rooms can be joined: "${identity}-<messageBox>".`
}

function failed(eventName: string, reason: string): LiveEvent {
  return { eventName, data: { reason } }
}
