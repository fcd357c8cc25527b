import { describe, expect, inject, it } from 'vitest'
import { boxName, newPlainClient } from './helpers/clients'

// Plain `AuthFetch` from @bsv/sdk (what any BRC-104 app uses), no message-box-client on top.
const host = inject('relayUrl')

describe('plain AuthFetch against wrangler dev', () => {
  it('GET /health is public and names the test key', async () => {
    const res = await fetch(`${host}/health`)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ status: 'ok', identityKey: inject('relayIdentityKey') })
  })

  it('one send → list → acknowledge cycle, in the contract shapes', async () => {
    const [alice, bob] = [newPlainClient(host), newPlainClient(host)]
    const messageBox = boxName('plain')
    const body = '{"not":"parsed by the relay"} ✓'

    const sent = await alice.post('/sendMessage', {
      message: { recipient: bob.identityKey, messageBox, messageId: 'plain-1', body },
    })
    expect(sent.status, JSON.stringify(sent.body)).toBe(200)
    expect(sent.body).toMatchObject({
      status: 'success',
      messageId: 'plain-1',
      results: [{ recipient: bob.identityKey, messageId: 'plain-1' }],
    })

    const listed = await bob.post('/listMessages', { messageBox })
    expect(listed.status, JSON.stringify(listed.body)).toBe(200)
    expect(listed.body.status).toBe('success')
    expect(listed.body.messages).toEqual([
      {
        messageId: 'plain-1',
        body,
        sender: alice.identityKey,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
        created_at: expect.any(String),
        updated_at: expect.any(String),
      },
    ])
    expect(Number.isNaN(Date.parse(listed.body.messages[0].createdAt))).toBe(false)

    const acked = await bob.post('/acknowledgeMessage', { messageIds: ['plain-1'] })
    expect(acked.status, JSON.stringify(acked.body)).toBe(200)
    expect(acked.body).toEqual({ status: 'success', acknowledged: 1 })

    const after = await bob.post('/listMessages', { messageBox })
    expect(after.body.messages).toEqual([])
  })

  it('the BRC-33 examples work verbatim (no messageId on send; the generated id acknowledges)', async () => {
    const [alice, bob] = [newPlainClient(host), newPlainClient(host)]
    const sent = await alice.post('/sendMessage', {
      message: { recipient: bob.identityKey, messageBox: 'payment_inbox', body: 'hello' },
    })
    expect(sent.status, JSON.stringify(sent.body)).toBe(200)
    expect(sent.body.status).toBe('success')
    const listed = await bob.post('/listMessages', { messageBox: 'payment_inbox' })
    expect(listed.body.messages).toMatchObject([
      { messageId: sent.body.messageId, body: 'hello', sender: alice.identityKey },
    ])
    const acked = await bob.post('/acknowledgeMessage', { messageIds: [listed.body.messages[0].messageId] })
    expect(acked.body).toMatchObject({ status: 'success' })
  })

  it('answers a browser CORS preflight over real HTTP before authentication', async () => {
    const res = await fetch(`${host}/sendMessage`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-bsv-auth-version,x-bsv-auth-identity-key',
      },
    })
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('access-control-allow-methods')).toContain('POST')
    expect(res.headers.get('access-control-allow-headers')).toContain('x-bsv-auth-identity-key')
  })

  it('an unauthenticated POST /sendMessage is refused with 401', async () => {
    const res = await fetch(`${host}/sendMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: { recipient: 'x', messageBox: 'x', body: 'x' } }),
    })
    expect(res.status).toBe(401)
    expect(await res.json()).toMatchObject({ status: 'error', code: 'UNAUTHORIZED' })
  })
})
