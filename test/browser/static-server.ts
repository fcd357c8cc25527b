import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join } from 'node:path'

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
}

/** A running static server: `origin` is `http://127.0.0.1:<port>`. */
export interface StaticServer {
  origin: string
  close(): Promise<void>
}

/**
 * Serves the files directly inside `dir` on a free 127.0.0.1 port: an origin other than the relay's,
 * so the browser makes real cross-origin requests (and CORS preflights) to it. Nothing else is served.
 */
export async function serveDirectory(dir: string): Promise<StaticServer> {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname
    const name = path === '/' ? 'index.html' : path.slice(1)
    const type = CONTENT_TYPES[extname(name)]
    // Only plain file names: no sub-directories, so no way out of `dir`.
    if (req.method !== 'GET' || !type || name.includes('/') || name.includes('\\')) {
      res.writeHead(404).end()
      return
    }
    try {
      const body = await readFile(join(dir, name))
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body)
    } catch {
      res.writeHead(404).end()
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
