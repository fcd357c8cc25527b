import { Hono } from 'hono'
import { openApiDocument } from '../api/document'
import { referencePage } from '../api/reference-page'
import type { AppEnv } from '../http/context'
import { DOCS_CACHE_CONTROL } from './openapi'

/** `GET /docs`: the API reference as one self-contained HTML page (public), rendered from `/openapi.json`'s document. */
export const docs = new Hono<AppEnv>().get('/docs', (c) => {
  c.header('cache-control', DOCS_CACHE_CONTROL)
  return c.html(referencePage(openApiDocument(c.var.config)))
})
