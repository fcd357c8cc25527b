/**
 * What the relay does that Cloudflare bills, counted from outside the relay's code (bench only).
 *
 * The bench hands the real app (and its Durable Objects) bindings wrapped here; nothing in src/ changes:
 * - D1: every statement sent (a batch's statements each count), batches, and **sequential round trips**:
 *   a D1 call that starts while no other D1 call is in flight (Worker and Mailbox share the count) is one
 *   more wait for the request; calls overlapped with one in flight are not. Rows read and written come
 *   from each result's `meta` (what D1 bills). Drizzle reads selects with `raw()`, which drops `meta`, so
 *   the wrapper answers `raw()` and `first()` from the same statement's `all()` and reshapes the rows the
 *   way Drizzle's own batch path does (`Object.keys` order); the SQL sent is the same.
 * - Durable Objects: every call on a stub of a wrapped namespace (each RPC call is one billed request),
 *   their sequential round trips, and the caller-side wall time of each call (the DO-duration estimate).
 * - DO SQLite: each cursor's `rowsRead` / `rowsWritten` (what the SQLite backend bills), read once the
 *   synchronous code that consumed it is done; `setAlarm()` / `deleteAlarm()` count one row written each
 *   (the pricing page: "Each setAlarm() is billed as a single row written"; deletes count as writes).
 *   Statements on Miniflare's own `__miniflare_do_name` table (local only) are left out.
 *
 * The counters are module state: locally the Worker and its Durable Objects run in one isolate, which
 * `operation-costs.ts` checks before trusting them (a DO write must show up here).
 */
import type { Env } from '../../src/env'

export interface Meter {
  d1Queries: number
  d1Batches: number
  d1RoundTrips: number
  d1RowsRead: number
  d1RowsWritten: number
  /** The database size D1 reported with the latest result (bytes), or -1 before any. */
  d1SizeAfter: number
  doCalls: number
  doRoundTrips: number
  /** Sum of the DO calls' wall time as their callers saw it (ms). */
  doWallMs: number
  doRowsRead: number
  /** SQL rows written plus alarm writes. */
  doRowsWritten: number
  doAlarmWrites: number
}

function zero(): Meter {
  return {
    d1Queries: 0,
    d1Batches: 0,
    d1RoundTrips: 0,
    d1RowsRead: 0,
    d1RowsWritten: 0,
    d1SizeAfter: -1,
    doCalls: 0,
    doRoundTrips: 0,
    doWallMs: 0,
    doRowsRead: 0,
    doRowsWritten: 0,
    doAlarmWrites: 0,
  }
}

/** One statement or call, for the detail view (`npm run bench -- --cost-detail`). */
export interface MeterEntry {
  where: 'D1' | 'DO SQLite' | 'DO call'
  what: string
  rowsRead: number
  rowsWritten: number
}

const meter: Meter = zero()
let entries: MeterEntry[] = []
let d1InFlight = 0
let doInFlight = 0

/**
 * Durable Object methods the relay calls without waiting for them (send-pipeline.ts: the live push runs in
 * `waitUntil`): billed requests, but not round trips a request waits for.
 */
const BACKGROUND_METHODS = new Set(['pushLive'])

/** Starts counting from zero (the last database size seen is kept). */
export function resetMeter(): void {
  Object.assign(meter, zero(), { d1SizeAfter: meter.d1SizeAfter })
  entries = []
}

/** A copy of the counters now. */
export function readMeter(): Meter {
  return { ...meter }
}

/** What was counted since the last reset, statement by statement. */
export function readEntries(): MeterEntry[] {
  return [...entries]
}

/** `a - b`, counter by counter (the database size is `a`'s). */
export function meterDelta(a: Meter, b: Meter): Meter {
  const out = zero()
  for (const key of Object.keys(out) as (keyof Meter)[]) out[key] = a[key] - b[key]
  out.d1SizeAfter = a.d1SizeAfter
  return out
}

/** Counts a DO request the bench makes happen by other means (an alarm invocation). */
export function countDoRequest(): void {
  meter.doCalls++
}

/** The bench's bindings: the relay's own, plus the metered Durable Object classes (wrangler.bench.toml). */
export type BenchEnv = Env & {
  COUNTED_MAILBOX: Env['MAILBOX']
  COUNTED_LIVE: Env['LIVE']
}

/** `env` with D1 and both Durable Object namespaces metered (the namespaces of the metered classes). */
export function meteredEnv(env: BenchEnv): Env {
  return {
    ...env,
    DB: meteredD1(env.DB),
    MAILBOX: meteredNamespace(env.COUNTED_MAILBOX),
    LIVE: meteredNamespace(env.COUNTED_LIVE),
  }
}

// ---- D1 ------------------------------------------------------------------------------------------------

type Meta = { rows_read?: number; rows_written?: number; size_after?: number }

async function d1Call<T>(queries: string[], batch: boolean, run: () => Promise<T>, metas: (r: T) => Meta[]) {
  meter.d1Queries += queries.length
  if (batch) meter.d1Batches++
  if (d1InFlight++ === 0) meter.d1RoundTrips++
  try {
    const result = await run()
    metas(result).forEach((meta, i) => {
      meter.d1RowsRead += meta.rows_read ?? 0
      meter.d1RowsWritten += meta.rows_written ?? 0
      if (typeof meta.size_after === 'number') meter.d1SizeAfter = meta.size_after
      const what = (batch ? 'batch: ' : '') + brief(queries[i] ?? '?')
      entries.push({ where: 'D1', what, rowsRead: meta.rows_read ?? 0, rowsWritten: meta.rows_written ?? 0 })
    })
    return result
  } finally {
    d1InFlight--
  }
}

/** `d1`, counted. Statements keep their real counterpart so a batch sends the real ones. */
export function meteredD1(d1: D1Database): D1Database {
  const real = new WeakMap<object, D1PreparedStatement>()
  const sqlOf = new WeakMap<object, string>()
  const wrap = (statement: D1PreparedStatement, query: string): D1PreparedStatement => {
    const all = () =>
      d1Call(
        [query],
        false,
        () => statement.all(),
        (r) => [r.meta],
      )
    const proxy = new Proxy(statement, {
      get(target, property) {
        switch (property) {
          case 'bind':
            return (...values: unknown[]) => wrap(target.bind(...values), query)
          case 'all':
            return all
          case 'run':
            return () =>
              d1Call(
                [query],
                false,
                () => target.run(),
                (r) => [r.meta],
              )
          case 'raw':
            return async (options?: { columnNames?: boolean }) => {
              const rows = (await all()).results as Record<string, unknown>[]
              const values = rows.map((row) => Object.keys(row).map((k) => row[k]))
              return options?.columnNames ? [Object.keys(rows[0] ?? {}), ...values] : values
            }
          case 'first':
            return async (column?: string) => {
              const row = (await all()).results[0] as Record<string, unknown> | undefined
              if (row === undefined) return null
              return column === undefined ? row : (row[column] ?? null)
            }
        }
        const value = Reflect.get(target, property)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    real.set(proxy, statement)
    sqlOf.set(proxy, query)
    return proxy
  }
  return new Proxy(d1, {
    get(target, property) {
      if (property === 'prepare') return (query: string) => wrap(target.prepare(query), query)
      if (property === 'batch') {
        return (statements: D1PreparedStatement[]) =>
          d1Call(
            statements.map((s) => sqlOf.get(s) ?? '?'),
            true,
            () => target.batch(statements.map((s) => real.get(s) ?? s)),
            (results) => results.map((r) => r.meta),
          )
      }
      const value = Reflect.get(target, property)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

// ---- Durable Object calls --------------------------------------------------------------------------------

/** `namespace`, whose stubs count every call made on them. */
export function meteredNamespace<T extends object>(namespace: T): T {
  return new Proxy(namespace, {
    get(target, property) {
      const value = Reflect.get(target, property)
      if (typeof value !== 'function') return value
      if (property === 'get' || property === 'getByName') {
        return (...args: unknown[]) => meteredStub(Reflect.apply(value, target, args))
      }
      return value.bind(target)
    },
  })
}

function meteredStub<S extends object>(stub: S): S {
  return new Proxy(stub, {
    get(target, property) {
      const value = Reflect.get(target, property)
      if (typeof value !== 'function' || typeof property === 'symbol' || property === 'then') return value
      return (...args: unknown[]) => {
        meter.doCalls++
        entries.push({ where: 'DO call', what: property, rowsRead: 0, rowsWritten: 0 })
        const background = BACKGROUND_METHODS.has(property)
        if (!background && doInFlight++ === 0) meter.doRoundTrips++
        const started = Date.now()
        const done = () => {
          if (!background) doInFlight--
          meter.doWallMs += Date.now() - started
        }
        let result: unknown
        try {
          // Not `value.apply(…)`: on an RPC stub that would be a remote call of a method named `apply`.
          result = Reflect.apply(value, target, args)
        } catch (error) {
          done()
          throw error
        }
        // A plain promise: the relay only awaits these calls (no pipelining through the result).
        return Promise.resolve(result).finally(done)
      }
    },
  })
}

// ---- Durable Object SQLite -------------------------------------------------------------------------------

/**
 * Counts this object's SQLite work: must run on the real state before the class's constructor sees it.
 * Cursors are tallied in a microtask, after the synchronous code that read them through (the session store
 * and the live registry consume every cursor right after `exec`).
 */
export function meterStorage(ctx: DurableObjectState): void {
  const storage = ctx.storage
  const sql = storage.sql
  const exec = sql.exec.bind(sql)
  const pending: { cursor: SqlStorageCursor<Record<string, SqlStorageValue>>; query: string }[] = []
  let scheduled = false
  const tally = () => {
    scheduled = false
    for (const { cursor, query } of pending.splice(0)) {
      // Miniflare's own record of the object's name (local only: production has no such table).
      if (query.includes(LOCAL_ONLY_TABLE)) continue
      meter.doRowsRead += cursor.rowsRead
      meter.doRowsWritten += cursor.rowsWritten
      const [rowsRead, rowsWritten] = [cursor.rowsRead, cursor.rowsWritten]
      entries.push({ where: 'DO SQLite', what: brief(query), rowsRead, rowsWritten })
    }
  }
  Object.defineProperty(sql, 'exec', {
    configurable: true,
    value: (query: string, ...bindings: unknown[]) => {
      const cursor = exec(query, ...bindings)
      pending.push({ cursor, query })
      if (!scheduled) {
        scheduled = true
        queueMicrotask(tally)
      }
      return cursor
    },
  })
  for (const name of ['setAlarm', 'deleteAlarm'] as const) {
    const original = storage[name].bind(storage) as (...args: unknown[]) => Promise<void>
    Object.defineProperty(storage, name, {
      configurable: true,
      value: (...args: unknown[]) => {
        meter.doAlarmWrites++
        meter.doRowsWritten++
        entries.push({ where: 'DO SQLite', what: `${name}()`, rowsRead: 0, rowsWritten: 1 })
        return original(...args)
      },
    })
  }
  // The same instances from now on, whatever the runtime's getters return.
  Object.defineProperty(storage, 'sql', { configurable: true, value: sql })
  Object.defineProperty(ctx, 'storage', { configurable: true, value: storage })
}

const LOCAL_ONLY_TABLE = '__miniflare_do_name'

/** A statement on one line, cut short. */
function brief(query: string): string {
  const line = query.replace(/\s+/g, ' ').trim()
  return line.length > 110 ? line.slice(0, 107) + '...' : line
}
