import { env } from 'cloudflare:test'
import { describe, expect, it, vi } from 'vitest'
import type { Env } from '../../src/env'
import { RelayError } from '../../src/errors'
import { readFcmConfig } from '../../src/push/fcm-config'

const account = JSON.parse(env.FCM_SERVICE_ACCOUNT_JSON) as Record<string, string>
const withAccount = (file: unknown, vars: Partial<Env> = {}): Env => ({
  ...env,
  FCM_TOKEN_URL: undefined,
  FCM_SEND_URL: undefined,
  FCM_SERVICE_ACCOUNT_JSON: typeof file === 'string' ? file : JSON.stringify(file),
  ...vars,
})

describe('readFcmConfig', () => {
  it('is null (push off) when the secret is absent, empty or blank', () => {
    for (const secret of [undefined, '', '  \n']) {
      expect(readFcmConfig({ ...env, FCM_SERVICE_ACCOUNT_JSON: secret })).toBeNull()
    }
  })

  it('takes the account fields and defaults the endpoints to Google’s', () => {
    const config = readFcmConfig(withAccount({ ...account, token_uri: undefined }))
    expect(config).toEqual({
      projectId: account.project_id,
      clientEmail: account.client_email,
      privateKey: account.private_key,
      privateKeyId: account.private_key_id,
      audience: 'https://oauth2.googleapis.com/token',
      tokenUrl: 'https://oauth2.googleapis.com/token',
      sendUrl: `https://fcm.googleapis.com/v1/projects/${account.project_id}/messages:send`,
    })
  })

  it('FCM_TOKEN_URL and FCM_SEND_URL override where requests go; the JWT audience stays token_uri', () => {
    const config = readFcmConfig(
      withAccount(
        { ...account, token_uri: 'https://issuer.example/token' },
        { FCM_TOKEN_URL: 'http://127.0.0.1:1/token', FCM_SEND_URL: 'http://127.0.0.1:1/send' },
      ),
    )
    expect(config).toMatchObject({
      audience: 'https://issuer.example/token',
      tokenUrl: 'http://127.0.0.1:1/token',
      sendUrl: 'http://127.0.0.1:1/send',
    })
  })

  it('private_key_id is optional', () => {
    const { private_key_id: _, ...rest } = account
    expect(readFcmConfig(withAccount(rest))?.privateKeyId).toBeNull()
  })

  it('parses each distinct secret once (the same object comes back)', () => {
    const e = withAccount({ ...account, project_id: 'cached-project' })
    expect(readFcmConfig(e)).toBe(readFcmConfig({ ...e }))
  })

  const broken: [string, unknown, RegExp][] = [
    ['not JSON', '{"project_id":', /not JSON/],
    ['a JSON array', [account], /not a JSON object/],
    ['without project_id', { ...account, project_id: undefined }, /no project_id/],
    ['without client_email', { ...account, client_email: '' }, /no client_email/],
    ['without private_key', { ...account, private_key: undefined }, /no private_key/],
    [
      'with a PKCS#1 key',
      { ...account, private_key: '-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n' },
      /not a PKCS#8 PEM/,
    ],
    ['with a token_uri that is not a URL', { ...account, token_uri: 'nowhere' }, /token_uri is not a URL/],
  ]
  for (const [what, file, why] of broken) {
    it(`a secret ${what} → ERR_SERVER_MISCONFIGURED, logged without the key`, () => {
      const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
      try {
        expect(() => readFcmConfig(withAccount(file))).toThrow(RelayError)
        expect(() => readFcmConfig(withAccount(file))).toThrow(why)
        const lines = logged.mock.calls.map((call) => call.join(' '))
        expect(lines.join('\n')).toMatch(why)
        expect(lines.join('\n')).not.toContain('-----')
        expect(lines.join('\n')).not.toContain(account.private_key!.slice(40, 80))
      } finally {
        logged.mockRestore()
      }
    })
  }

  it('an FCM_SEND_URL that is not a URL → ERR_SERVER_MISCONFIGURED', () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
    try {
      const e = withAccount(account, { FCM_SEND_URL: 'fcm' })
      expect(() => readFcmConfig(e)).toThrow(/FCM_SEND_URL is not a URL/)
    } finally {
      logged.mockRestore()
    }
  })
})
