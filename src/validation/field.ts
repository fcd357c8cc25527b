import type { Config } from '../config'
import type { RelayErrorCode } from '../errors'

/** A JSON Schema 2020-12 fragment (OpenAPI 3.1's schema dialect), written as a plain object. */
export type JsonSchema = { readonly [keyword: string]: unknown }

/**
 * One request field, defined once for its validator and for the API document (src/api/): the schema the
 * document shows, built from the same limits the validator checks, and the code each of the field's
 * checks throws (the validator throws `field.errors.<check>`, never a code of its own).
 */
export interface Field {
  /** The field's schema; a function of the relay's configuration when one of its limits is configurable. */
  readonly schema: JsonSchema | ((config: Config) => JsonSchema)
  readonly required?: boolean
  /** The code each check of this field throws, by check name (empty for a field nothing checks). */
  readonly errors: { readonly [check: string]: RelayErrorCode }
}

/** A request's fields by wire name: a JSON body's top-level keys, or a query string's parameters. */
export type Fields = { readonly [name: string]: Field }

/** The extension keyword that lists, on a field's schema, the codes its checks throw. */
export const ERROR_CODES_KEYWORD = 'x-error-codes'

/** The schema of `field` for `config`, with the codes of its checks (`x-error-codes`) when it has any. */
export function fieldSchema(field: Field, config: Config): JsonSchema {
  const schema = typeof field.schema === 'function' ? field.schema(config) : field.schema
  const codes = [...new Set(Object.values(field.errors))]
  return codes.length === 0 ? schema : { ...schema, [ERROR_CODES_KEYWORD]: codes }
}

/** The JSON object schema whose properties are `fields` (other keys are allowed and ignored). */
export function objectSchema(fields: Fields, config: Config, annotations: JsonSchema = {}): JsonSchema {
  const entries = Object.entries(fields)
  const required = entries.filter(([, field]) => field.required).map(([name]) => name)
  return {
    type: 'object',
    ...annotations,
    ...(required.length > 0 ? { required } : {}),
    properties: Object.fromEntries(entries.map(([name, field]) => [name, fieldSchema(field, config)])),
  }
}
