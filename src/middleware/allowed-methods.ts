import { createMiddleware } from 'hono/factory'
import { RelayError } from '../errors'
import { renderError } from '../http/error-response'
import type { RequestLogVariables } from '../http/context'

/**
 * A method a route does not serve is 405 with `Allow` (docs/contract.md "Methods"), before anything else looks
 * at the request: never a 401 from authentication, nor a 500 from a method the rest of the chain does not
 * expect (CONNECT). The table is the app's own routes, read once on the first request, so it cannot drift
 * from what is served. A GET route also serves HEAD (Hono answers it with the GET handler, body dropped);
 * every path answers OPTIONS (the CORS preflight). Paths no route serves go on, to be refused as today.
 */
export function allowedMethods(app: RoutedApp) {
  let table: Map<string, Set<string>> | undefined
  return createMiddleware<{ Variables: RequestLogVariables }>(async function allowedMethods(c, next) {
    table ??= methodsByPath(app)
    const allowed = table.get(c.req.path)
    if (allowed === undefined || allowed.has(c.req.method)) return next()
    c.res = renderError(
      c,
      new RelayError('ERR_METHOD_NOT_ALLOWED', `${c.req.path} does not serve ${c.req.method}.`),
    )
    c.res.headers.set('allow', [...allowed].join(', '))
  })
}

/** What this needs of a Hono app: the routes it registered (middleware shows as method `ALL`). */
interface RoutedApp {
  readonly routes: ReadonlyArray<{ method: string; path: string }>
}

function methodsByPath(app: RoutedApp): Map<string, Set<string>> {
  const table = new Map<string, Set<string>>()
  for (const { method, path } of app.routes) {
    if (method === 'ALL') continue // middleware
    const methods = table.get(path) ?? new Set(['OPTIONS'])
    methods.add(method)
    if (method === 'GET') methods.add('HEAD')
    table.set(path, methods)
  }
  // In a fixed order, for a stable header.
  for (const [path, methods] of table) table.set(path, new Set(ORDER.filter((m) => methods.has(m))))
  return table
}

const ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']
