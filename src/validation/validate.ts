import type { Context } from 'hono'
import { readConfig, type Config } from '../config'
import type { AppEnv } from '../env'
import { type RelayErrorCode, RelayError } from '../errors'
import { parseJsonBody } from '../http/json-body'

/** A request-body validator: returns the typed request or throws the contract's first failing check. */
export type Validator<T> = (body: unknown, config: Config) => T

/**
 * The one validation entry point for routes: parses the raw body (read once by `rawBody`) as JSON and
 * runs `validator` over it with the relay's limits.
 * @throws RelayError('ERR_INVALID_JSON') or whatever the validator throws.
 */
export function validateBody<T>(c: Context<AppEnv>, validator: Validator<T>): T {
  return validator(parseJsonBody(c.var.rawBody), readConfig(c.env))
}

/** A failed check: validators `throw invalid(code, why)`. */
export function invalid(code: RelayErrorCode, description: string): RelayError {
  return new RelayError(code, description)
}
