import { RelayError } from '../errors'

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

/**
 * Parses a request body as JSON.
 * @throws RelayError('ERR_INVALID_JSON') on invalid UTF-8, invalid JSON or an empty body.
 */
export function parseJsonBody(body: Uint8Array): unknown {
  try {
    return JSON.parse(utf8.decode(body))
  } catch {
    throw new RelayError('ERR_INVALID_JSON', 'The request body is not valid JSON.')
  }
}

/** Whether a parsed JSON value is a plain object (not null, not an array). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
