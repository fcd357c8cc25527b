// `npm run fees -- list | export [--remote] [--persist-to DIR] [--since ISO]`: the delivery fees the relay
// has been paid, read from D1's `payments` table (schema/payments.ts), for the operator to claim.
//
// Every paid send that owed the relay a delivery fee left one row: the transaction (AtomicBEEF), the
// sender, and the BRC-29 derivation of output 0, which pays the relay's key (protocol [2,"3241645161d8"],
// keyID "<prefix> <suffix>", counterparty = the sender; docs/payments-and-push.md A3). A BRC-100 wallet
// whose root key is SERVER_PRIVATE_KEY claims it with internalizeAction.
//
//   list     A table of txid, satoshis, sender and time (UTC), oldest first, and the total.
//   export   JSON on stdout: an array, oldest first, with one internalizeAction argument object
//            (@bsv/sdk InternalizeActionArgs) per recorded payment:
//
//              {
//                "tx": [1, 1, 1, 1, …],            // the AtomicBEEF bytes (number[], 0–255), as the sender sent them
//                "outputs": [{
//                  "outputIndex": 0,               // the relay's delivery output is always output 0
//                  "protocol": "wallet payment",
//                  "paymentRemittance": {
//                    "derivationPrefix": "<base64>",
//                    "derivationSuffix": "<base64>",
//                    "senderIdentityKey": "<the sender's 66-hex identity key>"
//                  }
//                }],
//                "description": "BRC-33 relay delivery fee"
//              }
//
//            Feed each to `wallet.internalizeAction(entry)`; nothing else is printed on stdout.
//
// Options:
//   --local            (default) the local D1 of `wrangler dev` / `npm run dev` (.wrangler/state)
//   --remote           the deployed D1 (wrangler must be logged in, or CLOUDFLARE_API_TOKEN set)
//   --persist-to DIR   the local state directory, when wrangler dev ran with --persist-to DIR
//   --since ISO        only payments recorded at or after this time (e.g. 2026-05-01 or 2026-05-01T12:00Z)
//
// Wrangler is this project's own, run as every script runs it (scripts/wrangler.mjs).
import { spawnSync } from 'node:child_process'
import { ROOT, UNATTENDED_ENV, WRANGLER_BIN } from './wrangler.mjs'

const DESCRIPTION = 'BRC-33 relay delivery fee' // internalizeAction wants 5–50 bytes
const USAGE = 'usage: npm run fees -- list | export [--remote] [--persist-to DIR] [--since ISO]'

/** A bad command line: exit 2 with the usage. */
class UsageError extends Error {}

try {
  main(process.argv.slice(2))
} catch (error) {
  console.error(error instanceof UsageError ? `${error.message}\n${USAGE}` : error.message)
  process.exit(error instanceof UsageError ? 2 : 1)
}

function main(argv) {
  const options = parseArgs(argv)
  const rows = readPayments(options)
  if (options.command === 'list') printList(rows)
  else process.stdout.write(JSON.stringify(rows.map(toInternalizeArgs)) + '\n')
}

function parseArgs(argv) {
  const options = { command: undefined, remote: false, local: false, persistTo: undefined, since: undefined }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s) : [arg, undefined]
    const value = () => {
      if (inline !== undefined) return inline
      if (i + 1 >= argv.length) throw new UsageError(`${name} needs a value`)
      return argv[++i]
    }
    if (name === '--remote') options.remote = true
    else if (name === '--local') options.local = true
    else if (name === '--persist-to') options.persistTo = value()
    else if (name === '--since') options.since = parseSince(value())
    else if (name === '-h' || name === '--help') {
      console.log(USAGE)
      process.exit(0)
    } else if ((name === 'list' || name === 'export') && options.command === undefined) options.command = name
    else throw new UsageError(`unknown argument: ${arg}`)
  }
  if (options.command === undefined) throw new UsageError('say list or export')
  if (options.remote && (options.local || options.persistTo !== undefined))
    throw new UsageError('--remote goes with neither --local nor --persist-to')
  return options
}

/** Milliseconds since the epoch for an ISO 8601 date or date-time. */
function parseSince(text) {
  const ms = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : NaN
  if (!Number.isFinite(ms)) throw new UsageError(`--since wants an ISO 8601 date or date-time, not ${text}`)
  return ms
}

/** The rows with a delivery output, oldest first, through `wrangler d1 execute DB --json`. */
function readPayments({ remote, persistTo, since }) {
  const sql =
    'SELECT txid, sender, created_at, delivery_satoshis, derivation_prefix, derivation_suffix, beef ' +
    'FROM payments WHERE delivery_satoshis IS NOT NULL' +
    (since === undefined ? '' : ` AND created_at >= ${since}`) +
    ' ORDER BY created_at, txid'
  const where = remote
    ? ['--remote']
    : ['--local', ...(persistTo === undefined ? [] : ['--persist-to', persistTo])]
  const run = spawnSync(
    process.execPath,
    [WRANGLER_BIN, 'd1', 'execute', 'DB', ...where, '--json', '--command', sql],
    {
      cwd: ROOT,
      env: UNATTENDED_ENV,
      encoding: 'utf8',
      maxBuffer: 1 << 30,
    },
  )
  if (run.error) throw new Error(`could not run wrangler: ${run.error.message}`)
  const output = parseJson(run.stdout)
  if (run.status !== 0 || !Array.isArray(output)) {
    const reason = output?.error?.text ?? (run.stderr || run.stdout).trim()
    const hint = /no such table: payments/.test(reason)
      ? '\n(the database has no payments table: apply the migrations, or point --persist-to at the right state)'
      : ''
    throw new Error(`wrangler d1 execute failed (${run.status}): ${reason}${hint}`)
  }
  return output.flatMap((result) => result.results ?? [])
}

/** Wrangler's --json output; tolerates lines printed before it. */
function parseJson(text) {
  try {
    return JSON.parse(text)
  } catch {
    const start = text.search(/^[[{]/m)
    try {
      return start < 0 ? undefined : JSON.parse(text.slice(start))
    } catch {
      return undefined
    }
  }
}

/** One row as @bsv/sdk InternalizeActionArgs claiming its output 0 (see the header comment). */
function toInternalizeArgs(row) {
  for (const column of ['beef', 'derivation_prefix', 'derivation_suffix']) {
    if (typeof row[column] !== 'string' || row[column] === '')
      throw new Error(`payment ${row.txid} has a delivery fee but no ${column}: cannot export it`)
  }
  const tx = Buffer.from(row.beef, 'base64')
  if (tx.toString('base64').replace(/=+$/, '') !== row.beef.replace(/=+$/, ''))
    throw new Error(`payment ${row.txid}: its beef is not valid base64`)
  return {
    tx: Array.from(tx),
    outputs: [
      {
        outputIndex: 0,
        protocol: 'wallet payment',
        paymentRemittance: {
          derivationPrefix: row.derivation_prefix,
          derivationSuffix: row.derivation_suffix,
          senderIdentityKey: row.sender,
        },
      },
    ],
    description: DESCRIPTION,
  }
}

function printList(rows) {
  const table = rows.map((row) => [
    row.txid,
    String(row.delivery_satoshis),
    row.sender,
    new Date(Number(row.created_at)).toISOString(),
  ])
  const header = ['txid', 'satoshis', 'sender', 'when (UTC)']
  const widths = header.map((title, c) => Math.max(title.length, ...table.map((cells) => cells[c].length)))
  const line = (cells) =>
    cells
      .map((cell, c) => (c === 1 ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd()
  if (table.length > 0) {
    console.log(line(header))
    for (const cells of table) console.log(line(cells))
    console.log('')
  }
  const total = rows.reduce((sum, row) => sum + Number(row.delivery_satoshis), 0)
  console.log(`Total: ${total} satoshis in ${rows.length} payment${rows.length === 1 ? '' : 's'}`)
}
