import { PrivateKey } from '@bsv/sdk'
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { newClient } from '../helpers/client'
import { joinOwn, newBody, newMessageId, sendLive, uniqueBox, useLiveClients } from '../helpers/live'
import { listOk, storedFor } from '../helpers/messages'

// The acknowledgement of a live send is a promise that the message is in D1. D1 is made to fail for real (its
// messages table is renamed away for the duration; storage is isolated per test file), not mocked.

const { authed } = useLiveClients()

async function withMessagesTableGone<R>(fn: () => Promise<R>): Promise<R> {
  await env.DB.exec('ALTER TABLE messages RENAME TO messages_unavailable')
  try {
    return await fn()
  } finally {
    await env.DB.exec('ALTER TABLE messages_unavailable RENAME TO messages')
  }
}

describe('live sendMessage is acknowledged only after the commit', () => {
  it('D1 failing: an error ack (503 ERR_STORAGE_UNAVAILABLE), no push, nothing stored; the retry is stored once and pushed', async () => {
    const [alice, bob] = await Promise.all([authed('websocket'), authed('websocket')])
    const box = uniqueBox()
    await joinOwn(bob, box)
    const messageId = newMessageId()
    const body = newBody('kept')

    const failed = await withMessagesTableGone(() =>
      sendLive(alice, bob.identityKey, box, { messageId, body }),
    )
    expect(failed.ack).toMatchObject({ status: 'error', code: 'ERR_STORAGE_UNAVAILABLE' })
    await bob.noEvent(`sendMessage-${bob.identityKey}-${box}`, 500)
    expect(await storedFor(bob.identityKey)).toEqual([])

    const retried = await sendLive(alice, bob.identityKey, box, { messageId, body })
    expect(retried.ack).toEqual({ status: 'success', messageId })
    expect(await bob.nextEvent(`sendMessage-${bob.identityKey}-${box}`)).toEqual({
      sender: alice.identityKey,
      messageId,
      body,
    })
    expect((await storedFor(bob.identityKey)).map((m) => m.message_id)).toEqual([messageId])
  })

  it('a recipient that connects after the send lists the message, and is not pushed it again', async () => {
    const alice = await authed('websocket')
    const bobKey = PrivateKey.fromRandom()
    const bobIdentity = bobKey.toPublicKey().toString()
    const box = uniqueBox()
    const { ack, sent } = await sendLive(alice, bobIdentity, box)
    expect(ack).toEqual({ status: 'success', messageId: sent.messageId })

    const bob = await authed('polling', bobKey)
    await joinOwn(bob, box)
    await bob.noEvent(`sendMessage-${bobIdentity}-${box}`, 500)
    const listed = await listOk(newClient({ privateKey: bobKey }), { messageBox: box })
    expect(listed.messages).toMatchObject([
      { messageId: sent.messageId, sender: alice.identityKey, body: sent.body },
    ])
  })
})
