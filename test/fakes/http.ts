import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

// What every fake of an outside service (chain tracker, ARC, FCM) needs of Node's HTTP server.

/** Answers `status` with `body` as JSON (`headers` may replace the content type). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers })
  res.end(JSON.stringify(body))
}

/** The whole request body as UTF-8 text. */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

/** A fake's request handler: the request, its answer, its URL and its whole body (read first). */
export type FakeHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  body: string,
) => Promise<void> | void

/** A fake listening on a free loopback port. */
export interface ServedFake {
  url: string
  close(): Promise<void>
}

/**
 * Serves `handle` on 127.0.0.1 at a free port; a handler that throws answers 500 with the error. The server
 * is unref'd: it never keeps a test run alive.
 */
export async function serveFake(handle: FakeHandler): Promise<ServedFake> {
  const server = createServer((req, res) => {
    void (async () => handle(req, res, new URL(req.url ?? '/', 'http://fake'), await readBody(req)))().catch(
      (error: unknown) => sendJson(res, 500, { error: String(error) }),
    )
  })
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready))
  server.unref()
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((done) => server.close(() => done())),
  }
}
