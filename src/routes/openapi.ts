import { Hono } from 'hono'
import { openApiDocument } from '../api/document'
import type { AppEnv } from '../http/context'

/** How long browsers and proxies may keep the public documentation (it changes only with a deploy). */
export const DOCS_CACHE_CONTROL = 'public, max-age=300'

/**
 * `GET /openapi.json`: the relay's OpenAPI 3.1 document (public), generated from the route table and the
 * validators' fields (src/api/), with this relay's configured limits.
 */
export const openApi = new Hono<AppEnv>().get('/openapi.json', (c) => {
  c.header('cache-control', DOCS_CACHE_CONTROL)
  return c.json(openApiDocument(c.var.config))
})
