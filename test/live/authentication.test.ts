import { PrivateKey } from '@bsv/sdk'
import { describe, expect, it } from 'vitest'
import { newClient } from '../helpers/client'
import { AuthenticationFailed } from '../helpers/live-client'
import {
  joinOwn,
  newBody,
  newMessageId,
  roomOf,
  sendLive,
  TRANSPORTS,
  uniqueBox,
  useLiveClients,
} from '../helpers/live'
import { listOk, storedFor } from '../helpers/messages'

const { authed, connect } = useLiveClients()

describe('live: authenticated proves nothing beyond the BRC-103 identity', () => {
  it.each(TRANSPORTS)(
    'over %s, claiming another identity answers authenticationFailed',
    async (transport) => {
      const victim = PrivateKey.fromRandom().toPublicKey().toString()
      const c = await connect(transport)
      const failure = await c.authenticate(victim).catch((e: unknown) => e)
      expect(failure).toBeInstanceOf(AuthenticationFailed)
      expect((failure as AuthenticationFailed).data).toEqual({ reason: expect.any(String) })
    },
  )

  it('after a failed claim, sendMessage is refused with ERR_NOT_AUTHENTICATED and nothing is stored', async () => {
    const victim = newClient()
    const recipient = newClient()
    const box = uniqueBox()
    const c = await connect('websocket')
    await expect(c.authenticate(victim.identityKey)).rejects.toBeInstanceOf(AuthenticationFailed)

    const { ack } = await sendLive(c, recipient.identityKey, box)
    expect(ack).toEqual({ status: 'error', code: 'ERR_NOT_AUTHENTICATED', description: expect.any(String) })
    expect(await storedFor(recipient.identityKey)).toEqual([])
    expect((await listOk(recipient, { messageBox: box })).messages).toEqual([])
  })

  it('after a failed claim, joinRoom of the claimed identity fails and brings no pushes', async () => {
    const victim = newClient()
    const box = uniqueBox()
    const roomId = roomOf(victim.identityKey, box)
    const c = await connect('polling')
    await expect(c.authenticate(victim.identityKey)).rejects.toBeInstanceOf(AuthenticationFailed)
    await c.emit('joinRoom', roomId)
    expect(await c.nextEvent('joinFailed')).toEqual({ reason: expect.any(String) })
    const sender = await authed('websocket')
    expect((await sendLive(sender, victim.identityKey, box)).ack.status).toBe('success')
    await c.noEvent(`sendMessage-${roomId}`)
  })

  it('a failed claim does not pin the connection: the true identity can still authenticate', async () => {
    const c = await connect('websocket')
    await expect(c.authenticate(PrivateKey.fromRandom().toPublicKey().toString())).rejects.toBeInstanceOf(
      AuthenticationFailed,
    )
    expect(await c.authenticate()).toEqual({ status: 'success' })
  })

  it.each(['polling', 'websocket'] as const)(
    'over %s, sendMessage before authenticated is refused with ERR_NOT_AUTHENTICATED',
    async (transport) => {
      const recipient = newClient()
      const c = await connect(transport)
      const { ack } = await sendLive(c, recipient.identityKey, uniqueBox())
      expect(ack).toEqual({ status: 'error', code: 'ERR_NOT_AUTHENTICATED', description: expect.any(String) })
      expect(await storedFor(recipient.identityKey)).toEqual([])
    },
  )

  it('authenticated again on an authenticated connection still answers authenticationSuccess', async () => {
    const c = await authed('polling')
    expect(await c.authenticate()).toEqual({ status: 'success' })
  })

  it('the sender of a live message is the proven identity', async () => {
    const [a, b] = [await authed('websocket'), await authed('polling')]
    const box = uniqueBox()
    await joinOwn(b, box)
    const { sent } = await sendLive(a, b.identityKey, box, { body: newBody(), messageId: newMessageId() })
    expect((await b.nextEvent(`sendMessage-${roomOf(b.identityKey, box)}`)).sender).toBe(a.identityKey)
    expect((await storedFor(b.identityKey)).map((m) => [m.message_id, m.sender])).toEqual([
      [sent.messageId, a.identityKey],
    ])
  })
})
