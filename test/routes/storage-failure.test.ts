import { env } from 'cloudflare:test'
import { describe, expect, it, vi } from 'vitest'
import type { Env } from '../../src/env'
import { newClient } from '../helpers/client'
import { d1Down, d1FailingAtEndOfBatch } from '../helpers/failing-d1'
import { type RelayWithEnv, relayWithEnv } from '../helpers/relay-with-env'
import { inMailbox } from '../helpers/mailbox'
import { expectResponse, randomKey, sendOk, storedFor } from '../helpers/messages'

const downD1 = d1Down(env.DB)

/** The real Mailbox namespace, except that `acknowledge` fails (sessions keep working, so auth succeeds). */
const mailboxFailingAcknowledge = {
  getByName(name: string) {
    const stub = env.MAILBOX.getByName(name)
    return {
      openSession: (...args: Parameters<typeof stub.openSession>) => stub.openSession(...args),
      claimRequest: (...args: Parameters<typeof stub.claimRequest>) => stub.claimRequest(...args),
      acknowledge: () =>
        Promise.reject(new Error('Durable Object reset because its code was updated (injected)')),
    }
  },
} as unknown as Env['MAILBOX']

/** AuthFetch only hands back responses whose signature verified; this also checks the wire carried one. */
function expectSigned(relay: RelayWithEnv) {
  expect(relay.lastSignature(), 'the response on the wire is signed').toBeTruthy()
}

describe('storage failure is loud and safe', () => {
  it('D1 down: /sendMessage answers a signed 503 ERR_STORAGE_UNAVAILABLE and stores nothing', async () => {
    const target = relayWithEnv({ DB: downD1 })
    const recipients = [randomKey(), randomKey()]
    const res = await newClient({ fetch: target.fetch }).post('/sendMessage', {
      message: { recipients, messageBox: 'inbox', body: 'x' },
    })
    expectSigned(target)
    await expectResponse(res, 503, 'ERR_STORAGE_UNAVAILABLE')
    for (const recipient of recipients) expect(await storedFor(recipient)).toEqual([])
  })

  it('a send whose D1 batch fails at its last statement answers a signed 503 and leaves nothing behind', async () => {
    const target = relayWithEnv({ DB: d1FailingAtEndOfBatch(env.DB) })
    const recipients = [randomKey(), randomKey(), randomKey()]
    const res = await newClient({ fetch: target.fetch }).post('/sendMessage', {
      message: { recipients, messageBox: 'inbox', messageId: ['a', 'b', 'c'], body: 'x' },
    })
    expectSigned(target)
    await expectResponse(res, 503, 'ERR_STORAGE_UNAVAILABLE')
    for (const recipient of recipients) expect(await storedFor(recipient)).toEqual([])
  })

  it('D1 down: /listMessages answers a signed 503, never an empty list', async () => {
    const target = relayWithEnv({ DB: downD1 })
    const res = await newClient({ fetch: target.fetch }).post('/listMessages', { messageBox: 'inbox' })
    expectSigned(target)
    await expectResponse(res, 503, 'ERR_STORAGE_UNAVAILABLE')
  })

  it('Mailbox failing: /acknowledgeMessage answers a signed 503 and the message stays listed', async () => {
    const [alice, bob] = [newClient(), newClient()]
    await sendOk(alice, { recipient: bob.identityKey, messageBox: 'inbox', messageId: 'kept', body: 'x' })
    const target = relayWithEnv({ MAILBOX: mailboxFailingAcknowledge })
    const res = await newClient({ privateKey: bob.privateKey, fetch: target.fetch }).post(
      '/acknowledgeMessage',
      {
        messageIds: ['kept'],
      },
    )
    expectSigned(target)
    await expectResponse(res, 503, 'ERR_STORAGE_UNAVAILABLE')
    expect(await storedFor(bob.identityKey)).toHaveLength(1)
  })

  it("D1 failing inside the Mailbox: /acknowledgeMessage answers a signed 503, logged once (the Mailbox's log)", async () => {
    const [alice, bob] = [newClient(), newClient()]
    await sendOk(alice, { recipient: bob.identityKey, messageBox: 'inbox', messageId: 'kept', body: 'x' })
    // The real Mailbox of bob, whose own D1 binding is down (sessions live in its own storage, so auth works).
    const healthy = await inMailbox(bob.identityKey, (box) => {
      const holder = box as unknown as { env: Env }
      const env = holder.env
      holder.env = { ...env, DB: d1Down(env.DB) }
      return env
    })
    const logged = vi.spyOn(console, 'error')
    try {
      const res = await bob.post('/acknowledgeMessage', { messageIds: ['kept'] })
      await expectResponse(res, 503, 'ERR_STORAGE_UNAVAILABLE')
      const failures = logged.mock.calls.filter(([first]) => String(first).startsWith('storage failure'))
      expect(failures).toEqual([['storage failure (acknowledge):', 'D1_ERROR: injected outage']])
    } finally {
      logged.mockRestore()
      await inMailbox(bob.identityKey, (box) => {
        ;(box as unknown as { env: Env }).env = healthy
      })
    }
    expect(await storedFor(bob.identityKey)).toHaveLength(1)
  })

  it('Mailbox failing: the failure is logged once, by the route', async () => {
    const bob = newClient()
    const target = relayWithEnv({ MAILBOX: mailboxFailingAcknowledge })
    const logged = vi.spyOn(console, 'error')
    try {
      const res = await newClient({ privateKey: bob.privateKey, fetch: target.fetch }).post(
        '/acknowledgeMessage',
        { messageIds: ['any'] },
      )
      await expectResponse(res, 503, 'ERR_STORAGE_UNAVAILABLE')
      const failures = logged.mock.calls.filter(([first]) => String(first).startsWith('storage failure'))
      expect(failures).toHaveLength(1)
      expect(String(failures[0]![1])).toContain('Durable Object reset')
    } finally {
      logged.mockRestore()
    }
  })
})
