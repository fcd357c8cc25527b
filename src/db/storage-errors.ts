import { RelayError } from '../errors'

/** The innermost message of an error chain: Drizzle wraps D1's error (with the whole query) in `cause`. */
function rootMessage(error: unknown): string {
  let current = error
  while (current instanceof Error && current.cause !== undefined) current = current.cause
  return current instanceof Error ? current.message : String(current)
}

/** Whether D1 refused a write because a UNIQUE constraint (on `column`, `table.column`, when given) would be broken. */
export function isUniqueViolation(error: unknown, column?: string): boolean {
  const message = rootMessage(error)
  return /UNIQUE constraint failed/i.test(message) && (column === undefined || message.includes(column))
}

/** Whether D1 refused a write because a NOT NULL constraint on `column` would be broken. */
export function isNotNullViolation(error: unknown, column: string): boolean {
  return new RegExp(`NOT NULL constraint failed: [a-z_]+\\.${column}\\b`, 'i').test(rootMessage(error))
}

/**
 * Runs a storage call, turning any failure that is not already a RelayError into a 503
 * ERR_STORAGE_UNAVAILABLE (logged once, without the query's parameters, which may hold 1 MiB bodies).
 * @throws RelayError('ERR_STORAGE_UNAVAILABLE')
 */
export async function guardStorage<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    if (error instanceof RelayError) throw error
    throw storageUnavailable(what, error)
  }
}

// Not "nothing changed": a write may have committed before its answer was lost. Retrying is safe
// (a send repeated with its messageId is idempotent; a repeated acknowledgement finds nothing).
const STORAGE_UNAVAILABLE = 'Message storage is unavailable; try again.'

/** The 503 for a failed storage call, logged once. */
export function storageUnavailable(what: string, error: unknown): RelayError {
  console.error(`storage failure (${what}):`, rootMessage(error))
  return new RelayError('ERR_STORAGE_UNAVAILABLE', STORAGE_UNAVAILABLE)
}

/**
 * The 503 for a failed call into a Durable Object. A storage failure inside it was logged there already
 * (with its cause), so it is not logged again; anything else (the object reset, overloaded) is logged here.
 */
export function objectUnavailable(what: string, error: unknown): RelayError {
  // Over RPC an exception arrives as a plain Error: its message survives, its class and code do not.
  if (error instanceof Error && error.message === STORAGE_UNAVAILABLE) {
    return new RelayError('ERR_STORAGE_UNAVAILABLE', STORAGE_UNAVAILABLE)
  }
  return storageUnavailable(what, error)
}
