import { Hono } from 'hono'
import type { Env } from '../env'
import { createConnectionId, isConnectionId } from '../live/connection-id'
import { limitHandshakes } from '../http/handshake-limit'
import type { RequestScopeVariables, ServerKeyVariables } from '../http/context'
import { engineError } from '../live/engine-error'
import { liveConnection } from '../objects/stubs'

type SocketIoEnv = { Bindings: Env; Variables: ServerKeyVariables & RequestScopeVariables }

/**
 * `/socket.io/`: Engine.IO v4 for live delivery (docs/contract.md "Live delivery"). Public at this level (the
 * client proves its identity inside, over BRC-103), so this runs before the BRC-104 middleware and before
 * the raw-body reader (a polling POST is bounded by LIVE_MAX_FRAME_BYTES, not the API's body limit).
 * Each Engine.IO session is one LiveConnection object, named by its sid: a new session counts against
 * the per-IP handshake limit, and a sid without our MAC never reaches an object.
 */
export const socketIo = new Hono<SocketIoEnv>().on(['GET', 'POST'], '/socket.io/', async (c) => {
  const query = new URL(c.req.url).searchParams
  if (query.get('EIO') !== '4') return engineError(5, 'Unsupported protocol version')
  const transport = query.get('transport')
  if (transport !== 'polling' && transport !== 'websocket') return engineError(0, 'Transport unknown')
  const isUpgrade = c.req.header('upgrade')?.toLowerCase() === 'websocket'
  if ((transport === 'websocket') !== isUpgrade) return engineError(3, 'Bad request')

  const key = c.var.serverKey
  let sid = query.get('sid')
  let action: 'open' | 'poll' | 'post' | 'upgrade'
  if (sid === null) {
    if (c.req.method !== 'GET') return engineError(2, 'Bad handshake method')
    await limitHandshakes(c.env, c.var.config.handshakeRateLimit, c.req.raw)
    sid = await createConnectionId(key.nonceKey)
    action = 'open'
  } else {
    if (!(await isConnectionId(key.nonceKey, sid))) return engineError(1, 'Session ID unknown')
    action = isUpgrade ? 'upgrade' : c.req.method === 'GET' ? 'poll' : 'post'
  }
  const forwarded = new Request(`https://live.internal/${action}?sid=${encodeURIComponent(sid)}`, c.req.raw)
  const response = await liveConnection(c.env, sid).fetch(forwarded)
  // A fresh Response: the object's has immutable headers, and CORS adds its own after this.
  return new Response(response.body, {
    status: response.status,
    headers: response.headers,
    webSocket: response.webSocket,
  })
})
