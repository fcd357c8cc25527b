import { connect } from 'node:net'
import { describe, expect, inject, it } from 'vitest'

// Methods over the real HTTP stack of `wrangler dev` (raw requests on a socket: fetch refuses CONNECT, and
// AuthFetch would sign what it sends). A method a route does not serve is 405 with `Allow`, before
// authentication; CONNECT is refused by the runtime itself, before any Worker code runs.
const host = new URL(inject('relayUrl'))

interface RawAnswer {
  status: number
  headers: Map<string, string>
  body: string
}

/** One request as raw HTTP/1.1 text; the answer once its head and Content-Length bytes of body arrived. */
function rawRequest(requestLine: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(host.port), host.hostname, () =>
      socket.write(`${requestLine}\r\nHost: ${host.host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`),
    )
    let text = ''
    const parsed = (): RawAnswer | null => {
      const end = text.indexOf('\r\n\r\n')
      if (end < 0) return null
      const [statusLine = '', ...lines] = text.slice(0, end).split('\r\n')
      const headers = new Map(
        lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
      )
      const body = text.slice(end + 4)
      if (Buffer.byteLength(body) < Number(headers.get('content-length') ?? 0)) return null
      return { status: Number(statusLine.split(' ')[1]), headers, body }
    }
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      text += chunk
      const answer = parsed()
      if (answer) {
        socket.destroy()
        resolve(answer)
      }
    })
    socket.on('error', reject)
    socket.on('close', () =>
      reject(new Error(`connection closed before an answer to ${requestLine}: ${text}`)),
    )
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no answer to ${requestLine}`)))
  })
}

describe('methods a route does not serve, through wrangler dev', () => {
  it.each([
    ['PUT', '/socket.io/', 'GET, HEAD, POST, OPTIONS'],
    ['DELETE', '/socket.io/', 'GET, HEAD, POST, OPTIONS'],
    ['PUT', '/sendMessage', 'POST, OPTIONS'],
    ['DELETE', '/permissions/set', 'POST, OPTIONS'],
  ])('%s %s: 405 with Allow: %s and the JSON envelope', async (method, path, allow) => {
    const answer = await rawRequest(`${method} ${path} HTTP/1.1`)
    expect(answer.status).toBe(405)
    expect(answer.headers.get('allow')).toBe(allow)
    expect(JSON.parse(answer.body)).toMatchObject({ status: 'error', code: 'ERR_METHOD_NOT_ALLOWED' })
  })

  it.each([`CONNECT /sendMessage HTTP/1.1`, `CONNECT ${host.host} HTTP/1.1`])(
    '%s never reaches the Worker: refused by the runtime, no relay code ran',
    async (requestLine) => {
      const answer = await rawRequest(requestLine)
      expect(answer.status).toBeGreaterThanOrEqual(400)
      // Every answer the relay's own code gives carries a request id.
      expect(answer.headers.has('x-request-id')).toBe(false)
    },
  )
})
