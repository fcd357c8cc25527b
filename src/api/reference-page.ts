import { html, raw } from 'hono/html'
import type { HtmlEscapedString } from 'hono/utils/html'
import { ERROR_CODES_KEYWORD, type JsonSchema } from '../validation/field'
import type { Method, OpenApiDocument, OperationObject, ResponseObject } from './document'
import { ALL_ERROR_CODES, whereCodeArises } from './error-codes'
import { statusFor } from '../errors'

type Html = ReturnType<typeof html>

/** One row of a field table: a property path and its schema. */
interface Row {
  name: string
  required: boolean
  /** The type in a few characters (see `typeOf`). */
  type: string
  schema: JsonSchema
}

const ERROR_REF = '#/components/schemas/Error'
const rendered = new WeakMap<OpenApiDocument, HtmlEscapedString>()

/**
 * The API reference page for `document`, rendered from it alone: every operation with its request fields,
 * responses and error codes. Plain HTML and inline CSS, no scripts or external assets (it works offline).
 * Rendered once per document.
 */
export function referencePage(document: OpenApiDocument): HtmlEscapedString {
  let page = rendered.get(document)
  if (page === undefined) {
    page = render(document) as HtmlEscapedString
    rendered.set(document, page)
  }
  return page
}

function render(document: OpenApiDocument): Html {
  const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ method: method as Method, path, operation })),
  )
  const scheme = Object.values(document.components.securitySchemes)[0]
  const resolve = resolver(document)
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>API reference · ${document.info.title}</title>
        <style>
          ${raw(STYLE)}
        </style>
      </head>
      <body>
        <header>
          <h1>${document.info.title} <small>API reference · version ${document.info.version}</small></h1>
          <nav>
            <a href="/">Home</a> · <a href="/openapi.json">OpenAPI document (JSON)</a> ·
            <a href="/health">Health</a> · <a href="#errors">Error codes</a>
          </nav>
        </header>
        <main>
          <section id="introduction">${paragraphs(document.info.description)}</section>
          ${scheme
            ? html`<section id="authentication">
                <h2>Authentication</h2>
                ${paragraphs(scheme.description)}
              </section>`
            : ''}
          <nav id="contents">
            <h2>Operations</h2>
            ${document.tags.map(
              (tag) =>
                html`<h3>${tag.name}</h3>
                  <ul>
                    ${operations
                      .filter(({ operation }) => operation.tags.includes(tag.name))
                      .map(
                        ({ method, path, operation }) =>
                          html`<li>
                            <a href="#${operation.operationId}"
                              ><code>${method.toUpperCase()} ${path}</code></a
                            >
                            — ${operation.summary}
                          </li>`,
                      )}
                  </ul>`,
            )}
          </nav>
          ${document.tags.map(
            (tag) =>
              html`<section class="tag" id="tag-${slug(tag.name)}">
                <h2>${tag.name}</h2>
                <p>${inline(tag.description)}</p>
                ${operations
                  .filter(({ operation }) => operation.tags.includes(tag.name))
                  .map(({ method, path, operation }) => operationSection(method, path, operation, resolve))}
              </section>`,
          )}
          <section id="errors">
            <h2>Error codes</h2>
            <p>
              Every error is the envelope below; its HTTP status follows from its code. Each operation above
              lists the codes it may answer.
            </p>
            ${fieldTable(rowsOf(resolve({ $ref: ERROR_REF }), '', resolve))}
            <table>
              <thead>
                <tr>
                  <th>Code</th>
                  <th>Status</th>
                  <th>When</th>
                </tr>
              </thead>
              <tbody>
                ${ALL_ERROR_CODES.map(
                  (code) =>
                    html`<tr id="${code}">
                      <td><code>${code}</code></td>
                      <td>${statusFor(code)}</td>
                      <td>${inline(whereCodeArises(code))}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </section>
        </main>
      </body>
    </html>`
}

function operationSection(
  method: Method,
  path: string,
  operation: OperationObject,
  resolve: (schema: JsonSchema) => JsonSchema,
): Html {
  const body = operation.requestBody && Object.entries(operation.requestBody.content)[0]
  return html`<article id="${operation.operationId}">
    <h3><code>${method.toUpperCase()} ${path}</code></h3>
    <p class="summary">
      ${operation.summary}
      ${operation.security.length > 0
        ? html`<span class="badge auth">BRC-104: signed request and response</span>`
        : html`<span class="badge">public</span>`}
    </p>
    <p>${inline(operation.description)}</p>
    ${operation.parameters
      ? html`<h4>Query parameters</h4>
          ${fieldTable(
            operation.parameters.map((parameter) => ({
              name: parameter.name,
              required: parameter.required,
              type: typeOf(parameter.schema, resolve),
              schema: { ...parameter.schema, description: parameter.description },
            })),
          )}`
      : ''}
    ${body
      ? html`<h4>Request body <small>${body[0]}</small></h4>
          ${fieldTable(rowsOf(resolve(body[1].schema), '', resolve), describeTop(resolve(body[1].schema)))}`
      : ''}
    <h4>Responses</h4>
    ${Object.entries(operation.responses).map(([status, response]) =>
      responseBlock(status, response, resolve),
    )}
  </article>`
}

function responseBlock(
  status: string,
  response: ResponseObject,
  resolve: (schema: JsonSchema) => JsonSchema,
): Html {
  const contents = Object.entries(response.content ?? {})
  const parts = contents.map(([type, { schema }]) => ({ type, ...envelopeSplit(schema) }))
  // An error-only response's description just lists its codes: they are shown as links instead.
  const errorsOnly = parts.length > 0 && parts.every((part) => part.rest.length === 0)
  return html`<div class="response">
    <p>
      <strong class="status s${status[0]}">${status}</strong>
      ${errorsOnly ? 'Error envelope' : inline(response.description)}
    </p>
    ${parts.map(
      ({ type, codes, rest }) =>
        html`${codes.length > 0
          ? html`<p class="codes">
              <code>code</code>:
              ${codes.map((code, i) => html`${i > 0 ? ', ' : ''}<a href="#${code}"><code>${code}</code></a>`)}
            </p>`
          : ''}
        ${rest.map((part) => schemaBlock(type, part, resolve))}`,
    )}
  </div>`
}

/** A response body's schema: the error envelope's codes apart, the rest as field tables. */
function envelopeSplit(schema: JsonSchema): { codes: string[]; rest: JsonSchema[] } {
  const parts = Array.isArray(schema.anyOf) ? (schema.anyOf as JsonSchema[]) : [schema]
  const codes: string[] = []
  const rest: JsonSchema[] = []
  for (const part of parts) {
    const allOf = part.allOf as JsonSchema[] | undefined
    if (allOf?.[0]?.$ref === ERROR_REF) {
      const narrowed = allOf[1]?.properties as { code?: { enum?: string[] } } | undefined
      codes.push(...(narrowed?.code?.enum ?? []))
    } else rest.push(part)
  }
  return { codes, rest }
}

function schemaBlock(type: string, schema: JsonSchema, resolve: (schema: JsonSchema) => JsonSchema): Html {
  const variants = Array.isArray(schema.oneOf) ? (schema.oneOf as JsonSchema[]) : [schema]
  return html`${variants.map((variant, i) => {
    const resolved = resolve(variant)
    const name = typeof variant.$ref === 'string' ? variant.$ref.split('/').pop() : undefined
    const rows = rowsOf(resolved, '', resolve)
    return html`<p class="media">
        <small>${type}</small>${variants.length > 1
          ? html` — ${i === 0 ? 'one of' : 'or'}: ${name ?? 'object'}`
          : ''}
        ${rows.length === 0 ? html` — ${typeOf(resolved, resolve)}` : ''}
      </p>
      ${rows.length > 0 ? fieldTable(rows) : ''}`
  })}`
}

function fieldTable(rows: Row[], caption?: string): Html {
  if (rows.length === 0) return html`<p>${caption ? inline(caption) : 'No fields.'}</p>`
  const codesOf = (row: Row) => (row.schema[ERROR_CODES_KEYWORD] as string[] | undefined) ?? []
  // Request fields say which codes refuse them; response fields have none, so no such column.
  const refusable = rows.some((row) => codesOf(row).length > 0)
  return html`${caption ? html`<p>${inline(caption)}</p>` : ''}
    <table>
      <thead>
        <tr>
          <th>Field</th>
          <th>Type</th>
          <th>Rules</th>
          ${refusable ? html`<th>Refused with</th>` : ''}
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (row) =>
            html`<tr>
              <td class="name">
                <code>${row.name}</code>${row.required ? html` <span class="required">required</span>` : ''}
              </td>
              <td>${row.type}</td>
              <td class="rules">${inline(rules(row.schema))}</td>
              ${refusable
                ? html`<td>
                    ${codesOf(row).map(
                      (code, i) => html`${i > 0 ? ' ' : ''}<a href="#${code}"><code>${code}</code></a>`,
                    )}
                  </td>`
                : ''}
            </tr>`,
        )}
      </tbody>
    </table>`
}

/** A schema's own description for the top of a request body table (the object's, not its fields'). */
function describeTop(schema: JsonSchema): string | undefined {
  return typeof schema.description === 'string' ? schema.description : undefined
}

/** Every property of an object schema (and of objects inside it) as a dotted path, depth first. */
function rowsOf(
  schema: JsonSchema,
  prefix: string,
  resolve: (schema: JsonSchema) => JsonSchema,
  depth = 0,
): Row[] {
  if (depth > 5) return []
  const properties = schema.properties as Record<string, JsonSchema> | undefined
  if (!properties) return []
  const required = new Set((schema.required as string[] | undefined) ?? [])
  return Object.entries(properties).flatMap(([name, raw]) => {
    const property = resolve(raw)
    const path = `${prefix}${name}`
    return [
      { name: path, required: required.has(name), type: typeOf(property, resolve), schema: property },
      ...objectsWithin(property, resolve).flatMap(({ schema: inner, suffix }) =>
        rowsOf(inner, `${path}${suffix}.`, resolve, depth + 1),
      ),
    ]
  })
}

/** The object schemas a property holds: itself, its array items, its variants. */
function objectsWithin(
  schema: JsonSchema,
  resolve: (schema: JsonSchema) => JsonSchema,
): { schema: JsonSchema; suffix: string }[] {
  if (schema.properties) return [{ schema, suffix: '' }]
  if (schema.items) {
    return objectsWithin(resolve(schema.items as JsonSchema), resolve).map((inner) => ({
      ...inner,
      suffix: `[]${inner.suffix}`,
    }))
  }
  const variants = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined
  return (variants ?? []).flatMap((variant) => objectsWithin(resolve(variant), resolve))
}

/** A schema's type in a few characters: `string`, `integer | null`, `array of string`, `"success"`. */
function typeOf(schema: JsonSchema, resolve: (schema: JsonSchema) => JsonSchema): string {
  if ('const' in schema) return JSON.stringify(schema.const)
  if (Array.isArray(schema.enum)) return schema.enum.map((value) => JSON.stringify(value)).join(' | ')
  if (schema.type === 'array') {
    return schema.items ? `array of ${typeOf(resolve(schema.items as JsonSchema), resolve)}` : 'array'
  }
  if (Array.isArray(schema.type)) return schema.type.join(' | ')
  if (typeof schema.type === 'string') return schema.type
  const variants = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined
  if (variants) return [...new Set(variants.map((variant) => typeOf(resolve(variant), resolve)))].join(' | ')
  return 'any JSON'
}

/** A schema's constraints and description, as one line of text. */
function rules(schema: JsonSchema): string {
  const parts: string[] = []
  const variants = ((schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined) ?? [schema]
  for (const variant of variants) {
    for (const [keyword, label] of CONSTRAINTS) {
      const value = variant[keyword]
      if (value !== undefined)
        parts.push(`${label} ${typeof value === 'string' ? `\`${value}\`` : JSON.stringify(value)}`)
    }
  }
  if (schema.default !== undefined) parts.push(`default ${JSON.stringify(schema.default)}`)
  const constraints = [...new Set(parts)].join(', ')
  const description = typeof schema.description === 'string' ? schema.description : ''
  return [constraints && `${constraints}.`, description].filter(Boolean).join(' ')
}

const CONSTRAINTS: [keyword: string, label: string][] = [
  ['minimum', 'min'],
  ['maximum', 'max'],
  ['minLength', 'min length'],
  ['maxLength', 'max length'],
  ['minItems', 'min items'],
  ['maxItems', 'max items'],
  ['pattern', 'pattern'],
  ['format', 'format'],
]

/** Resolves a local `$ref` against the document's components (anything else is returned as is). */
function resolver(document: OpenApiDocument): (schema: JsonSchema) => JsonSchema {
  return (schema) => {
    const target = schema.$ref
    if (typeof target !== 'string' || !target.startsWith('#/components/schemas/')) return schema
    return document.components.schemas[target.slice('#/components/schemas/'.length)] ?? schema
  }
}

/** Paragraphs (blank-line separated) of `text`, each with its inline markup. */
function paragraphs(text: string): Html[] {
  return text.split(/\n\s*\n/).map((paragraph) => html`<p>${inline(paragraph.trim())}</p>`)
}

/**
 * The little markdown the document's descriptions use: `code`, **strong** and [links](https://…). Every
 * piece of text goes through `html`, so it is escaped.
 */
function inline(text: string): Html[] {
  const parts: Html[] = []
  let last = 0
  for (const match of text.matchAll(/`([^`]+)`|\*\*([^*]+)\*\*|\[([^\]]+)\]\((https?:\/\/[^)\s]+)\)/g)) {
    parts.push(html`${text.slice(last, match.index)}`)
    const [, code, strong, label, href] = match
    if (code !== undefined) parts.push(html`<code>${code}</code>`)
    else if (strong !== undefined) parts.push(html`<strong>${strong}</strong>`)
    else parts.push(html`<a href="${href}">${label}</a>`)
    last = match.index + match[0].length
  }
  parts.push(html`${text.slice(last)}`)
  return parts
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-')
}

const STYLE = `
body { font: 15px/1.5 system-ui, sans-serif; margin: 0; color: #1b1b1b; background: #fff; }
header, main { max-width: 60rem; margin: 0 auto; padding: 0 1rem; }
header { padding-top: 2rem; border-bottom: 1px solid #ddd; }
h1 small { display: block; font-size: 0.55em; font-weight: normal; color: #555; }
h2 { margin-top: 2.5rem; border-bottom: 1px solid #eee; }
article { margin: 2rem 0; padding: 0.5rem 1rem 1rem; border: 1px solid #e3e3e3; border-radius: 6px; }
article h3 { margin: 0.5rem 0; font-size: 1.15em; }
h4 { margin: 1.2rem 0 0.3rem; }
code { font-size: 0.92em; background: #f3f3f3; padding: 0.05em 0.3em; border-radius: 3px; }
td.name code { white-space: nowrap; } td.rules code { overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin: 0.4rem 0 0.8rem; font-size: 0.93em; }
th, td { text-align: left; vertical-align: top; padding: 0.3rem 0.5rem; border-bottom: 1px solid #eee; }
th { background: #fafafa; }
.badge { font-size: 0.8em; padding: 0.1em 0.5em; border-radius: 3px; background: #e8f4e8; margin-left: 0.5em; }
.badge.auth { background: #fdf1dc; }
.required { font-size: 0.8em; color: #a33; }
.status { display: inline-block; min-width: 2.6em; }
.s2, .s1 { color: #17692b; } .s4 { color: #8a4b00; } .s5 { color: #a11; }
.response { margin-left: 0.5rem; }
.media small, h4 small { color: #666; font-weight: normal; }
@media (prefers-color-scheme: dark) {
  body { background: #151515; color: #ddd; } code, th { background: #262626; }
  article { border-color: #333; } th, td, h2 { border-color: #2a2a2a; } a { color: #8ab4f8; }
}
`
