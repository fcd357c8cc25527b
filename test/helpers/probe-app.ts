import { env } from 'cloudflare:test'
import { Hono } from 'hono'
import { createApp } from '../../src/app'
import type { Env } from '../../src/env'
import type { AppEnv } from '../../src/http/context'
import { RelayError } from '../../src/errors'
import type { FetchLike } from './client'

/** One run of a probe route, so tests can prove a handler ran (or did not). */
export interface ProbeRun {
  identityKey: string
  method: string
  path: string
  search: string
  body: string
}

/**
 * The relay's real app (CORS, server key, raw body, handshake, BRC-104, error rendering) with probe
 * routes in place of the BRC-33 ones: they echo what they received and log their runs. Sessions live
 * in the real Mailbox Durable Object of the test environment; `envOverrides` changes vars or secrets.
 */
export function probeApp(envOverrides: Partial<Env> = {}) {
  const runs: ProbeRun[] = []
  const probes = new Hono<AppEnv>()
  probes.all('/echo', (c) => {
    const url = new URL(c.req.url)
    const run = {
      identityKey: c.var.identityKey,
      method: c.req.method,
      path: url.pathname,
      search: url.search,
      body: new TextDecoder().decode(c.var.rawBody),
    }
    runs.push(run)
    return c.json({
      ...run,
      contentType: c.req.header('content-type') ?? null,
      custom: c.req.header('x-bsv-custom') ?? null,
    })
  })
  probes.post('/teapot', (c) => {
    runs.push({ identityKey: c.var.identityKey, method: 'POST', path: '/teapot', search: '', body: '' })
    c.header('x-bsv-brew', 'earl grey')
    return c.json({ status: 'error', code: 'ERR_TEAPOT', description: 'short and stout' }, 418)
  })
  probes.post('/empty', (c) => c.body(null, 200))
  probes.post('/throws', () => {
    throw new RelayError('ERR_INVALID_MESSAGEBOX', 'thrown by a route')
  })
  const app = createApp(probes)
  const fetch: FetchLike = (input, init) =>
    Promise.resolve(app.request(input, init, { ...env, ...envOverrides }))
  return { app, runs, fetch }
}
