import type { Context } from 'hono'
import type { Config } from '../config'
import type { AppEnv } from '../http/context'
import { type RelayErrorCode, RelayError } from '../errors'
import { parseJsonBody } from '../http/json-body'

/**
 * A request validator: returns the typed request or throws the contract's first failing check. Its input
 * is the parsed JSON body, or the query string for a GET route.
 */
export type Validator<T, Input = unknown> = (input: Input, config: Config) => T

/**
 * The one validation entry point for routes: parses the raw body (read once by `rawBody`) as JSON and
 * runs `validator` over it with the relay's limits.
 * @throws RelayError('ERR_INVALID_JSON') or whatever the validator throws.
 */
export function validateBody<T>(c: Context<AppEnv>, validator: Validator<T>): T {
  return validator(parseJsonBody(c.var.rawBody), c.var.config)
}

/** A failed check: validators `throw invalid(code, why)`. */
export function invalid(code: RelayErrorCode, description: string): RelayError {
  return new RelayError(code, description)
}

/**
 * The same entry point for GET routes: runs `validator` over the request's query string.
 * @throws whatever the validator throws.
 */
export function validateQuery<T>(c: Context<AppEnv>, validator: Validator<T, URLSearchParams>): T {
  return validator(new URL(c.req.url).searchParams, c.var.config)
}
