import type { IncomingMessage, ServerResponse } from 'node:http'
import type { TrackerFailure } from './chain-tracker-api'
import { sendJson as json, serveFake } from './http'

/** A running fake of a WhatsOnChain-compatible block-header API, on 127.0.0.1. */
export interface FakeChainTracker {
  /** Base URL, for CHAIN_TRACKER_URL; the control routes of chain-tracker-api.ts live here too. */
  url: string
  close(): Promise<void>
}

const HEADER_PATH = /^\/block\/(\d{1,15})\/header$/

/**
 * Starts the fake on a free port: it knows only the blocks tests register, answers like WhatsOnChain,
 * counts header requests per height and fails on request. The server is unref'd: it never keeps a test
 * run alive.
 */
export async function startFakeChainTracker(): Promise<FakeChainTracker> {
  const roots = new Map<number, string>()
  const failures = new Map<number, TrackerFailure>()
  const requests = new Map<number, number>()

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL, body: string) {
    const route = `${req.method} ${url.pathname}`
    if (route === 'POST /_blocks') {
      const { height, merkleroot } = JSON.parse(body) as { height: number; merkleroot: string }
      roots.set(height, merkleroot)
      return json(res, 200, {})
    }
    if (route === 'POST /_fail') {
      const { height, mode } = JSON.parse(body) as { height: number; mode: TrackerFailure | null }
      if (mode === null) failures.delete(height)
      else failures.set(height, mode)
      return json(res, 200, {})
    }
    if (route === 'GET /_requests') {
      return json(res, 200, { count: requests.get(Number(url.searchParams.get('height'))) ?? 0 })
    }
    if (route === 'GET /block/headers') {
      return json(res, 200, [{ height: Math.max(0, ...roots.keys()) }])
    }
    const header = req.method === 'GET' ? HEADER_PATH.exec(url.pathname) : null
    if (header) {
      const height = Number(header[1])
      requests.set(height, (requests.get(height) ?? 0) + 1)
      const failure = failures.get(height)
      if (failure === 'cut') return void req.socket.destroy()
      if (failure === 'garbage') {
        res.writeHead(200, { 'Content-Type': 'application/json' })
        return void res.end('<html>bad gateway</html>')
      }
      if (typeof failure === 'number') return json(res, failure, { error: 'scripted failure' })
      const merkleroot = roots.get(height)
      if (merkleroot === undefined) {
        res.writeHead(404, { 'Content-Type': 'application/json' })
        return void res.end()
      }
      return json(res, 200, { hash: '00'.repeat(32), height, merkleroot })
    }
    json(res, 404, { error: 'no such route' })
  }

  return serveFake(handle)
}
