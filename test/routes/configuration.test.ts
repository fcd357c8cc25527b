import { describe, expect, it } from 'vitest'
import { newClient } from '../helpers/client'
import { expectResponse, fillBox, listOk, randomKey, sendOk, storedFor } from '../helpers/messages'
import { RELAY_ORIGIN } from '../helpers/relay'
import { relayWithEnv } from '../helpers/relay-with-env'

/** A client of a relay configured with `vars` instead of wrangler.toml's values. */
const clientOf = (vars: Record<string, string>) => newClient({ fetch: relayWithEnv(vars).fetch })

describe('limits are wrangler vars', () => {
  it('INBOX_QUOTA: the 429 names the configured limit', async () => {
    const recipient = randomKey()
    await fillBox(recipient, 'inbox', 2)
    const res = await clientOf({ INBOX_QUOTA: '2' }).post('/sendMessage', {
      message: { recipient, messageBox: 'inbox', body: 'x' },
    })
    expect(await expectResponse(res, 429, 'ERR_INBOX_QUOTA_EXCEEDED')).toMatchObject({
      resource: 'messages',
      limit: 2,
    })
  })

  it('MESSAGE_TTL_SECONDS: a message expires that many seconds after it is sent; "0" means never', async () => {
    const [soon, never] = [randomKey(), randomKey()]
    const before = Date.now()
    await sendOk(clientOf({ MESSAGE_TTL_SECONDS: '60' }), { recipient: soon, messageBox: 'inbox', body: 'x' })
    await sendOk(clientOf({ MESSAGE_TTL_SECONDS: '0' }), { recipient: never, messageBox: 'inbox', body: 'x' })
    const [expiring] = await storedFor(soon)
    expect(expiring!.expires_at).toBeGreaterThanOrEqual(before + 60_000)
    expect(expiring!.expires_at).toBeLessThanOrEqual(Date.now() + 60_000)
    expect((await storedFor(never))[0]!.expires_at).toBe(Number.MAX_SAFE_INTEGER)
  })

  it('MAX_RECIPIENTS_PER_SEND, MAX_MESSAGE_BODY_BYTES and MAX_ACKNOWLEDGE_IDS', async () => {
    const client = clientOf({
      MAX_RECIPIENTS_PER_SEND: '2',
      MAX_MESSAGE_BODY_BYTES: '4',
      MAX_ACKNOWLEDGE_IDS: '2',
    })
    const three = [randomKey(), randomKey(), randomKey()]
    const tooMany = await client.post('/sendMessage', {
      message: { recipients: three, messageBox: 'b', body: 'x' },
    })
    await expectResponse(tooMany, 400, 'ERR_TOO_MANY_RECIPIENTS')
    const tooBig = await client.post('/sendMessage', {
      message: { recipient: three[0], messageBox: 'b', body: 'five!' },
    })
    await expectResponse(tooBig, 413, 'ERR_MESSAGE_BODY_TOO_LARGE')
    await sendOk(client, { recipient: three[0], messageBox: 'b', body: 'four' })
    const ack = await client.post('/acknowledgeMessage', { messageIds: ['a', 'b', 'c'] })
    await expectResponse(ack, 400, 'ERR_TOO_MANY_MESSAGE_IDS')
  })

  it('MAX_LIST_BODY_BYTES: a page carries at most that many bytes of serialized messages', async () => {
    const bob = newClient()
    await fillBox(bob.identityKey, 'inbox', 4) // 8-byte bodies, 277 bytes each as listed JSON (and a comma)
    const bobOnSmallPages = newClient({
      privateKey: bob.privateKey,
      fetch: relayWithEnv({ MAX_LIST_BODY_BYTES: String(2 * 277 + 100) }).fetch,
    })
    const page = await listOk(bobOnSmallPages, { messageBox: 'inbox' })
    expect(page).toMatchObject({ hasMore: true, nextOffset: 2 })
    expect(page.messages.map((m: any) => m.messageId)).toEqual(['fill-1', 'fill-2'])
  })

  it('a var that is not a valid integer is a loud 500 ERR_SERVER_MISCONFIGURED, never a silent default', async () => {
    // Config is read before authentication (the body limit is one of the vars), so no session is needed to see it.
    const relay = relayWithEnv({ INBOX_QUOTA: 'lots' })
    const res = await relay.fetch(`${RELAY_ORIGIN}/sendMessage`, { method: 'POST', body: '{}' })
    expect(res.status, await res.clone().text()).toBe(500)
    expect(await res.json()).toMatchObject({ status: 'error', code: 'ERR_SERVER_MISCONFIGURED' })
  })

  const badVars: [string, string][] = [
    ['DELIVERY_FEES', 'not json'],
    ['DELIVERY_FEES', '{"notifications":-1}'], // the relay's own fee cannot block
    ['DELIVERY_FEES', '{"notifications":1.5}'],
    ['DEFAULT_RECIPIENT_FEES', '{"notifications":-2}'],
    ['DEFAULT_RECIPIENT_FEES', '{"notifications":2147483648}'],
    ['DEFAULT_RECIPIENT_FEES', '[10]'],
    ['DEFAULT_RECIPIENT_FEES', '{" padded ":1}'],
    ['PUSH_BOXES', '"notifications"'],
    ['PUSH_BOXES', '[""]'],
    ['LIVE_PING_INTERVAL_MS', '500'], // under a second: a wake-up per ping would cost more than it finds
    ['LIVE_PING_TIMEOUT_MS', '2147483647'], // interval + timeout must stay a valid Node timer in the client
    ['LIVE_MAX_FRAME_BYTES', '5 MiB'],
    ['LIVE_MAX_CONNECTIONS_PER_IDENTITY', '0'],
  ]
  for (const [name, value] of badVars) {
    it(`${name}=${value} is a loud 500 ERR_SERVER_MISCONFIGURED naming the var`, async () => {
      const relay = relayWithEnv({ [name]: value })
      const res = await relay.fetch(`${RELAY_ORIGIN}/sendMessage`, { method: 'POST', body: '{}' })
      expect(res.status, await res.clone().text()).toBe(500)
      const body = (await res.json()) as { code: string; description: string }
      expect(body.code).toBe('ERR_SERVER_MISCONFIGURED')
      expect(body.description).toContain(name)
    })
  }

  it('DEFAULT_RECIPIENT_FEES may block a box by default (-1) until the recipient allows senders', async () => {
    const relay = relayWithEnv({ DEFAULT_RECIPIENT_FEES: '{"private":-1}' })
    const [alice, bob] = [newClient({ fetch: relay.fetch }), newClient({ fetch: relay.fetch })]
    const refused = await alice.post('/sendMessage', {
      message: { recipient: bob.identityKey, messageBox: 'private', body: 'x' },
    })
    await expectResponse(refused, 403, 'ERR_DELIVERY_BLOCKED')
    await expectResponse(
      await bob.post('/permissions/set', {
        messageBox: 'private',
        sender: alice.identityKey,
        recipientFee: 0,
      }),
      200,
    )
    await sendOk(alice, { recipient: bob.identityKey, messageBox: 'private', body: 'x' })
  })
})
