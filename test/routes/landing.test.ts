import { SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import pkg from '../../package.json'
import { RELAY_ORIGIN, TEST_SERVER_IDENTITY_KEY } from '../helpers/relay'

describe('GET / (a person opening the URL)', () => {
  it('is a public HTML page with the identity key, version, push status and a link to /health', async () => {
    const res = await SELF.fetch(`${RELAY_ORIGIN}/`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    const page = await res.text()
    expect(page).toContain(`<code id="identity-key">${TEST_SERVER_IDENTITY_KEY}</code>`)
    expect(page).toContain(`<dd id="version">${pkg.version}</dd>`)
    expect(page).toContain('<dd id="push">on</dd>')
    expect(page).toContain('href="/health"')
  })
})
