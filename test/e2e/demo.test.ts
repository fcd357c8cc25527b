import { spawn } from 'node:child_process'
import { describe, expect, inject, it } from 'vitest'
import { freePort } from './helpers/wrangler-dev'

// scripts/demo.mjs (`npm run demo -- <url>`) is what a newcomer runs first: keep it working.
const host = inject('relayUrl')

function runDemo(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['scripts/demo.mjs', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (chunk) => (out += chunk))
    child.stderr.on('data', (chunk) => (err += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000)
    child.once('error', fail)
    child.once('exit', (code) => {
      clearTimeout(timer)
      done({ code, out, err })
    })
  })
}

describe('npm run demo', () => {
  it('sends, lists, decrypts and acknowledges through the relay URL given as argument', async () => {
    const { code, out, err } = await runDemo(host)
    expect(code, `${out}\n${err}`).toBe(0)
    expect(out).toContain(`relay identity key: ${inject('relayIdentityKey')}`)
    expect(out).toMatch(/from Alice: "Hello Bob!/)
    expect(out).toContain('0 message(s) waiting')
    expect(out).toMatch(/from Alice: "Hello again, live!/)
    expect(out).toContain(
      'Done: sent, listed, decrypted and acknowledged through the relay, and delivered live.',
    )
  })

  it('says how to start a relay when none answers at the URL', async () => {
    const { code, err } = await runDemo(`http://127.0.0.1:${await freePort()}`)
    expect(code).toBe(1)
    expect(err).toContain('npm run dev')
  })
})
