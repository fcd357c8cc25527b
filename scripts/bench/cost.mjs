// What the relay is billed for: the per-operation counts the bench worker measured (`/bench/costs`,
// operation-costs.ts) as a table, and one delivered message (send → list → acknowledge) priced at the
// published Workers Paid prices (prices.mjs), item by item.
import { DAYS_PER_MONTH, PRICES, PRICES_READ_ON, STORAGE_DAYS } from './prices.mjs'

const OPERATIONS = [
  ['handshake-new', 'handshake, new identity (its Mailbox and tables are created)'],
  ['handshake-returning', 'handshake, returning identity'],
  ['send-1', 'sendMessage, 1 recipient'],
  ['send-10', 'sendMessage, 10 recipients (new identities)'],
  ['list-1', 'listMessages, a page of 1'],
  ['list-100', 'listMessages, a page of 100'],
  ['ack-1', 'acknowledgeMessage, 1 id'],
  ['ack-100', 'acknowledgeMessage, 100 ids'],
]
const DELIVERED = ['send-1', 'list-1', 'ack-1']

const fmt = (x, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a')
const num = (x) => (Number.isInteger(x) ? String(x) : fmt(x, 1))

function sum(meters) {
  const out = {}
  for (const m of meters) for (const [k, v] of Object.entries(m)) out[k] = (out[k] ?? 0) + v
  return out
}

function scale(m, factor) {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v * factor]))
}

function countRow(label, requests, m) {
  return (
    `| ${label} | ${num(requests)} | ${num(m.d1Queries)} (${num(m.d1Batches)}) | ${num(m.d1RoundTrips)} | ` +
    `${num(m.d1RowsRead)} | ${num(m.d1RowsWritten)} | ${num(m.doCalls)} | ${num(m.doRoundTrips)} | ` +
    `${num(m.doRowsRead)} | ${num(m.doRowsWritten)} | ${num(m.doWallMs)} |`
  )
}

/**
 * The markdown section for `costs` (from `/bench/costs`) and the CPU of one delivered message (ms, or NaN),
 * with the two numbers the bench's output ends with.
 * @returns {{ lines: string[], rowsWrittenPerMessage: number, usdPerMillion: number }}
 */
export function costSection(costs, cpuMsPerMessage, { detail = false } = {}) {
  const byName = new Map(costs.operations.map((op) => [op.name, op]))
  const { perReplayRecord, perSession } = costs.purge
  const delivered = sum(DELIVERED.map((name) => byName.get(name).total))
  const deliveredRequests = DELIVERED.reduce((n, name) => n + byName.get(name).requests, 0)
  // Each of its three requests left a replay record in a Mailbox, which the alarm deletes later.
  const later = scale(perReplayRecord, deliveredRequests)
  const lines = []

  lines.push('## Cost per operation (billed operations, counted)')
  lines.push('')
  lines.push(
    'Counted once through the real app (`createApp()`, real D1 and Mailbox under `wrangler dev`) with metered ' +
      'bindings (scripts/bench/metering.ts): D1 statements and sequential round trips (a call started while no ' +
      "other D1 call was in flight), rows from each result's `meta`; Durable Object calls on stubs (each one a " +
      'billed request; the live push after a send is not waited for, so it is no round trip); DO SQLite rows ' +
      "from each cursor, `setAlarm()` as one row written. Sessions are open and used. DO wall = the DO calls' " +
      'wall time as their caller saw it (local, so only indicative).',
  )
  lines.push('')
  lines.push(
    '| operation | Worker requests | D1 queries (batches) | D1 round trips | D1 rows read | D1 rows written | ' +
      'DO calls | DO round trips | DO SQLite rows read | DO SQLite rows written | DO wall ms |',
  )
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
  for (const [name, label] of OPERATIONS) {
    const op = byName.get(name)
    lines.push(countRow(label, op.requests, op.total))
  }
  lines.push(
    countRow('**one delivered message**: send (1) + list (page of 1) + acknowledge (1)', 3, delivered),
  )
  lines.push(countRow(`later, by the alarm: its ${deliveredRequests} replay records deleted`, 0, later))
  lines.push(countRow('later, per session (not per message): its end, one alarm pass', 0, perSession))
  lines.push('')
  const { storage } = costs
  lines.push(
    `Bytes stored: **${fmt(storage.d1BytesPerMessage, 0)} B in D1 per message** ` +
      `(a ${storage.messageBodyBytes}-byte body to one recipient; database size over ${storage.messages} sends: ` +
      `the row with its body, and its index entries) and ${fmt(storage.doBytesPerRequest, 0)} B of Mailbox SQLite ` +
      'per authenticated request (its replay record, until its session ends).',
  )
  lines.push('')

  const rowsWritten = delivered.d1RowsWritten + delivered.doRowsWritten + later.doRowsWritten
  const p = PRICES
  const perMillion = (quantity, pricePerMillion) => quantity * pricePerMillion
  const gbMonths = (bytes, days) => (bytes / 1e9) * (days / DAYS_PER_MONTH)
  const doGbSeconds = (delivered.doWallMs / 1000) * p.doBilledGb
  const items = [
    ['Worker requests', `${deliveredRequests}`, perMillion(deliveredRequests, p.workerRequestsPerMillion)],
    [
      'Worker CPU (upper bound: workerd CPU of the real routes, D1 and Mailbox work included)',
      `${fmt(cpuMsPerMessage)} ms`,
      perMillion(cpuMsPerMessage, p.workerCpuPerMillionMs),
    ],
    [
      'Durable Object requests',
      `${num(delivered.doCalls)}`,
      perMillion(delivered.doCalls, p.doRequestsPerMillion),
    ],
    [
      'Durable Object duration (estimate: DO call wall time × 128 MB)',
      `${num(delivered.doWallMs)} ms`,
      doGbSeconds * p.doGbSecondsPerMillion,
    ],
    [
      'D1 rows read',
      `${num(delivered.d1RowsRead)}`,
      perMillion(delivered.d1RowsRead, p.d1RowsReadPerMillion),
    ],
    [
      'D1 rows written',
      `${num(delivered.d1RowsWritten)}`,
      perMillion(delivered.d1RowsWritten, p.d1RowsWrittenPerMillion),
    ],
    [
      'DO SQLite rows read (now + later)',
      `${num(delivered.doRowsRead)} + ${num(later.doRowsRead)}`,
      perMillion(delivered.doRowsRead + later.doRowsRead, p.doRowsReadPerMillion),
    ],
    [
      'DO SQLite rows written (now + later)',
      `${num(delivered.doRowsWritten)} + ${num(later.doRowsWritten)}`,
      perMillion(delivered.doRowsWritten + later.doRowsWritten, p.doRowsWrittenPerMillion),
    ],
    [
      `D1 storage (${STORAGE_DAYS.message} day)`,
      `${fmt(storage.d1BytesPerMessage, 0)} B`,
      gbMonths(storage.d1BytesPerMessage * 1e6, STORAGE_DAYS.message) * p.d1StorageGbMonth,
    ],
    [
      `DO SQLite storage (${STORAGE_DAYS.replayRecord} day)`,
      `${fmt(storage.doBytesPerRequest * deliveredRequests, 0)} B`,
      gbMonths(storage.doBytesPerRequest * deliveredRequests * 1e6, STORAGE_DAYS.replayRecord) *
        p.doStorageGbMonth,
    ],
  ]
  const total = items.reduce((s, [, , usd]) => s + (Number.isFinite(usd) ? usd : 0), 0)

  lines.push(`## Cost per million delivered messages (Workers Paid, prices read ${PRICES_READ_ON})`)
  lines.push('')
  lines.push('| item | per delivered message | USD per million messages | share |')
  lines.push('|---|---:|---:|---:|')
  for (const [item, quantity, usd] of items) {
    lines.push(`| ${item} | ${quantity} | ${fmt(usd, 3)} | ${fmt((100 * usd) / total, 1)} % |`)
  }
  lines.push(`| **total** | | **${fmt(total, 2)}** | |`)
  lines.push('')
  lines.push(
    'Marginal prices (scripts/bench/prices.mjs), the plan fee and included allowances ignored. Not in the total: ' +
      'the handshake and the end of each session (rows above, shared by all of its requests), the hourly purge ' +
      `of unacknowledged messages. Storage is paid for ${STORAGE_DAYS.message} day per message and per replay ` +
      'record (an assumption). DO duration: billed while an object is active; the Mailbox holds no timers or ' +
      'sockets, so between calls it can hibernate, and each call is billed for about the wall time it takes ' +
      '(here local: its D1 wait is faster than in production).',
  )
  lines.push('')
  if (detail) lines.push(...detailLines(costs))
  return { lines, rowsWrittenPerMessage: rowsWritten, usdPerMillion: total }
}

/** `--cost-detail`: every statement and call of each operation. */
function detailLines(costs) {
  const lines = ['## Cost detail (statement by statement)', '']
  const sections = [
    ...costs.operations,
    { name: 'end of a session (1 + K requests)', entries: costs.purge.entries },
  ]
  for (const { name, entries } of sections) {
    lines.push(`${name}:`, '')
    lines.push('| where | statement or call | rows read | rows written |', '|---|---|---:|---:|')
    for (const e of entries) {
      lines.push(`| ${e.where} | \`${e.what.replace(/\|/g, '\\|')}\` | ${e.rowsRead} | ${e.rowsWritten} |`)
    }
    lines.push('')
  }
  return lines
}
