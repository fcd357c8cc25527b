/** One call into D1 as a Worker makes it: a batch or a single statement, and the rows its results wrote. */
export interface D1Call {
  kind: 'batch' | 'statement'
  rowsWritten: number
  /** Refused or failed: D1 rolled it back, so it wrote nothing. */
  failed?: true
}

type Metered = { meta?: { rows_written?: number } }

const written = (results: Metered[]) => results.reduce((sum, r) => sum + (r.meta?.rows_written ?? 0), 0)

/**
 * The real D1 binding, recording every call and the rows written that D1's own `meta` reports (each index
 * entry a write touches counts, as billed). `raw()` and `first()` return no meta: their calls are counted,
 * their rows are not.
 */
export function d1Counting(d1: D1Database, calls: D1Call[]): D1Database {
  const statement = (s: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(s, {
      get(target, property) {
        if (property === 'bind') return (...values: unknown[]) => statement(target.bind(...values))
        if (property === 'run' || property === 'all' || property === 'raw' || property === 'first') {
          return (...args: unknown[]) =>
            recorded(calls, 'statement', () =>
              (target[property] as (...a: unknown[]) => Promise<unknown>)(...args).then((r) => [r]),
            ).then(([r]) => r)
        }
        const value = Reflect.get(target, property)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
  return new Proxy(d1, {
    get(target, property) {
      if (property === 'prepare') return (query: string) => statement(target.prepare(query))
      if (property === 'batch') {
        return (statements: D1PreparedStatement[]) => recorded(calls, 'batch', () => target.batch(statements))
      }
      const value = Reflect.get(target, property)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

/** Runs one call into D1 and records it, failed ones too (with nothing written). */
async function recorded<T>(calls: D1Call[], kind: D1Call['kind'], call: () => Promise<T[]>): Promise<T[]> {
  try {
    const results = await call()
    calls.push({ kind, rowsWritten: written(results as Metered[]) })
    return results
  } catch (error) {
    calls.push({ kind, rowsWritten: 0, failed: true })
    throw error
  }
}
