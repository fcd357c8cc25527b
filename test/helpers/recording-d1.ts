/**
 * The real D1 binding, recording (never altering) every statement the relay runs: its SQL, its bound
 * parameters, whether it ran alone or inside a batch, and the rows it returned. Production limits that local
 * workerd does not enforce (contract sizes against D1's documented limits) are asserted on this record.
 */

/** One executed statement. */
export interface RecordedStatement {
  sql: string
  params: unknown[]
  /** Index of the batch it ran in, or null when it ran alone. */
  batch: number | null
  /** Rows it returned (RETURNING included); filled in once it has run. */
  rows: unknown[]
}

export interface D1Recording {
  /** Every executed statement, in order. */
  statements: RecordedStatement[]
  /** Number of batches run. */
  batches: number
  clear(): void
}

interface Prepared {
  sql: string
  params: unknown[]
}

/** Wraps `d1`; give `db` to the code under test and read `recording` afterwards. */
export function recordingD1(d1: D1Database): { db: D1Database; recording: D1Recording } {
  const recording: D1Recording = {
    statements: [],
    batches: 0,
    clear() {
      this.statements.length = 0
      this.batches = 0
    },
  }
  const prepared = new WeakMap<object, Prepared & { real: D1PreparedStatement }>()

  function wrap(real: D1PreparedStatement, info: Prepared): D1PreparedStatement {
    const proxy: D1PreparedStatement = new Proxy(real, {
      get(target, property) {
        if (property === 'bind') {
          return (...params: unknown[]) => wrap(target.bind(...params), { sql: info.sql, params })
        }
        if (property === 'run' || property === 'all' || property === 'first' || property === 'raw') {
          return async (...args: unknown[]) => {
            const entry: RecordedStatement = { sql: info.sql, params: info.params, batch: null, rows: [] }
            recording.statements.push(entry)
            const result = await (target[property] as (...a: unknown[]) => Promise<unknown>).apply(
              target,
              args,
            )
            entry.rows = rowsOf(result)
            return result
          }
        }
        const value = Reflect.get(target, property)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    prepared.set(proxy, { ...info, real })
    return proxy
  }

  const db = new Proxy(d1, {
    get(target, property) {
      if (property === 'prepare') {
        return (sql: string) => wrap(target.prepare(sql), { sql, params: [] })
      }
      if (property === 'batch') {
        return async (statements: D1PreparedStatement[]) => {
          const batch = recording.batches++
          const entries = statements.map((s) => {
            const info = prepared.get(s)
            const entry: RecordedStatement = {
              sql: info?.sql ?? '<unrecorded>',
              params: info?.params ?? [],
              batch,
              rows: [],
            }
            recording.statements.push(entry)
            return { entry, real: info?.real ?? s }
          })
          const results = await target.batch(entries.map((e) => e.real))
          results.forEach((result, i) => (entries[i]!.entry.rows = rowsOf(result)))
          return results
        }
      }
      const value = Reflect.get(target, property)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return { db, recording }
}

function rowsOf(result: unknown): unknown[] {
  if (Array.isArray(result)) return result
  if (result && typeof result === 'object' && 'results' in result) {
    const rows = (result as { results?: unknown[] }).results
    return Array.isArray(rows) ? rows : []
  }
  return result === null || result === undefined ? [] : [result]
}

/** The UTF-8 (or raw) size in bytes of one bound value, as D1 would receive it. */
export function boundSize(value: unknown): number {
  if (typeof value === 'string') return new TextEncoder().encode(value).length
  if (value instanceof ArrayBuffer) return value.byteLength
  if (ArrayBuffer.isView(value)) return value.byteLength
  return 8
}
