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
  /** Rows it wrote, as D1's own `meta` reports them (each index entry counts; `raw()`/`first()` report none). */
  rowsWritten: number
  /** It failed (or its batch did): D1 rolled it back, so it wrote nothing. */
  failed?: true
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
            const entry = newEntry(info, null)
            recording.statements.push(entry)
            const result = await settle([entry], () =>
              (target[property] as (...a: unknown[]) => Promise<unknown>).apply(target, args),
            )
            record(entry, result)
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
            const entry = newEntry({ sql: info?.sql ?? '<unrecorded>', params: info?.params ?? [] }, batch)
            recording.statements.push(entry)
            return { entry, real: info?.real ?? s }
          })
          const results = await settle(
            entries.map((e) => e.entry),
            () => target.batch(entries.map((e) => e.real)),
          )
          results.forEach((result, i) => record(entries[i]!.entry, result))
          return results
        }
      }
      const value = Reflect.get(target, property)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return { db, recording }
}

function newEntry(info: Prepared, batch: number | null): RecordedStatement {
  return { sql: info.sql, params: info.params, batch, rows: [], rowsWritten: 0 }
}

/** Runs one call into D1, marking its statements failed if it throws. */
async function settle<T>(entries: RecordedStatement[], call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    for (const entry of entries) entry.failed = true
    throw error
  }
}

function record(entry: RecordedStatement, result: unknown): void {
  entry.rows = rowsOf(result)
  const written = (result as { meta?: { rows_written?: number } } | null)?.meta?.rows_written
  entry.rowsWritten = typeof written === 'number' ? written : 0
}

/** One call into D1 as a Worker makes it (a batch, or a statement alone) and the rows it wrote. */
export interface D1Call {
  kind: 'batch' | 'statement'
  rowsWritten: number
  failed?: true
}

/** The calls of `recording` in order: its statements grouped by batch. */
export function callsOf(recording: D1Recording): D1Call[] {
  const calls: D1Call[] = []
  let batch: number | null = null
  for (const s of recording.statements) {
    const last = calls.at(-1)
    if (s.batch !== null && s.batch === batch && last) last.rowsWritten += s.rowsWritten
    else
      calls.push({
        kind: s.batch === null ? 'statement' : 'batch',
        rowsWritten: s.rowsWritten,
        ...(s.failed ? { failed: true as const } : {}),
      })
    batch = s.batch
  }
  return calls
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
