import { SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json'
import { RELAY_ORIGIN, TEST_SERVER_IDENTITY_KEY } from './helpers/relay'
import { relayWithEnv } from './helpers/relay-with-env'

describe('GET /health', () => {
  it('answers without authentication with the server identity, version and push on (FCM credentials set)', async () => {
    const res = await SELF.fetch(`${RELAY_ORIGIN}/health`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      status: 'ok',
      identityKey: TEST_SERVER_IDENTITY_KEY,
      version: pkg.version,
      push: 'on',
      storage: 'ok',
    })
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
  })

  it('says "push":"off" without FCM_SERVICE_ACCOUNT_JSON (absent or empty)', async () => {
    for (const secret of [undefined, '']) {
      const res = await relayWithEnv({ FCM_SERVICE_ACCOUNT_JSON: secret }).fetch(`${RELAY_ORIGIN}/health`, {})
      expect(await res.json()).toMatchObject({ status: 'ok', push: 'off' })
    }
  })

  it('an unusable FCM_SERVICE_ACCOUNT_JSON is a 500 ERR_SERVER_MISCONFIGURED, not "off"', async () => {
    const relay = relayWithEnv({ FCM_SERVICE_ACCOUNT_JSON: 'not json' })
    const original = console.error
    console.error = () => {}
    try {
      const res = await relay.fetch(`${RELAY_ORIGIN}/health`, {})
      expect(res.status).toBe(500)
      expect(await res.json()).toMatchObject({ status: 'error', code: 'ERR_SERVER_MISCONFIGURED' })
    } finally {
      console.error = original
    }
  })
})
