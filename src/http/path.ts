/**
 * The request's path exactly as sent, percent-escapes and all, without the query string (URL parsers and
 * Hono decode escapes). Routing matches it, so `/%73endMessage` is a 404, not an alias of `/sendMessage`.
 */
export function pathAsSent(url: string): string {
  const start = url.indexOf('/', url.indexOf('://') + 3)
  const query = url.indexOf('?', start)
  return url.slice(start, query === -1 ? undefined : query)
}
