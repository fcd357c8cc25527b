import { SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json'
import { RELAY_ORIGIN, TEST_SERVER_IDENTITY_KEY } from './helpers/relay'

describe('GET /health', () => {
  it('answers without authentication with the server identity and version', async () => {
    const res = await SELF.fetch(`${RELAY_ORIGIN}/health`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      status: 'ok',
      identityKey: TEST_SERVER_IDENTITY_KEY,
      version: pkg.version,
    })
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
  })
})
