import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { readConfig } from '../../src/config'
import { runSend } from '../../src/delivery/send-pipeline'
import { sendMessageRequest } from '../../src/validation/send-message'
import { newClient } from '../helpers/client'
import { joinOwn, newBody, roomOf, uniqueBox, useLiveClients } from '../helpers/live'
import { randomKey } from '../helpers/messages'
import { sendScope } from '../helpers/send-scope'

const { authed } = useLiveClients()

async function isPresent(identityKey: string): Promise<boolean> {
  const row = await env.DB.prepare('SELECT 1 AS n FROM live_presence WHERE identity_key = ?')
    .bind(identityKey)
    .first()
  return row !== null
}

/** `env` with its Mailbox namespace counting the identities a caller asks for. */
function countingMailboxes(asked: string[]): typeof env {
  const namespace = new Proxy(env.MAILBOX, {
    get(target, property) {
      if (property === 'getByName') {
        return (name: string) => {
          asked.push(name)
          return target.getByName(name)
        }
      }
      const value = Reflect.get(target, property)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return { ...env, MAILBOX: namespace }
}

describe('live presence: which recipients a send calls to push', () => {
  it('an identity is present while it has an authenticated connection, and not once its last one closed', async () => {
    const first = await authed('websocket')
    expect(await isPresent(first.identityKey)).toBe(true)
    const second = await authed('polling', first.privateKey)
    await first.close()
    expect(await isPresent(first.identityKey), 'one connection is left').toBe(true)
    await second.close()
    // A closing connection detaches after its goodbye is answered.
    await expect.poll(() => isPresent(first.identityKey), { timeout: 5000, interval: 50 }).toBe(false)
  })

  it('a send asks the Mailbox of a connected recipient to push, and not that of one who is not connected', async () => {
    const connected = await authed('websocket')
    const box = uniqueBox()
    await joinOwn(connected, box)
    const offline = randomKey()
    const request = sendMessageRequest(
      { message: { recipients: [connected.identityKey, offline], messageBox: box, body: newBody() } },
      readConfig(env),
    )
    const asked: string[] = []
    const background: Promise<unknown>[] = []
    const results = await runSend(
      await sendScope({ relayEnv: countingMailboxes(asked) }),
      request,
      { sender: newClient().identityKey, network: 'test-network' },
      (work) => background.push(work),
    )
    await Promise.all(background)
    expect(results.map((r) => r.recipient)).toEqual([connected.identityKey, offline])
    expect(asked).toEqual([connected.identityKey])
    const pushed = await connected.nextEvent(`sendMessage-${roomOf(connected.identityKey, box)}`)
    expect(pushed).toMatchObject({ messageId: results[0]!.messageId })
  })

  it('a row left behind (no connection) costs one call: that push removes it, so later sends skip the Mailbox', async () => {
    const stale = randomKey()
    await env.DB.prepare('INSERT INTO live_presence (identity_key) VALUES (?)').bind(stale).run()
    const send = async () => {
      const request = sendMessageRequest(
        { message: { recipient: stale, messageBox: 'inbox', body: newBody() } },
        readConfig(env),
      )
      const asked: string[] = []
      const background: Promise<unknown>[] = []
      await runSend(
        await sendScope({ relayEnv: countingMailboxes(asked) }),
        request,
        { sender: newClient().identityKey, network: 'test-network' },
        (work) => background.push(work),
      )
      await Promise.all(background)
      return asked
    }
    expect(await send()).toEqual([stale])
    expect(await isPresent(stale)).toBe(false)
    expect(await send()).toEqual([])
  })
})
