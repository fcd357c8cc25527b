// `npm run bench`: what an authenticated request costs, against the crypto floor and the Express-style
// baseline, all measured in this one run on this machine; then end to end under `wrangler dev`.
// Then what Cloudflare bills for each operation (counted through the real routes) and the cost of a million
// delivered messages. Prints markdown and writes it to bench-results/latest.md (about 2 minutes, 5 at most).
//
//   npm run bench                       the report
//   npm run bench -- --quick            a short smoke run (2 rounds, small batches, 4 s end to end)
//   npm run bench -- --diag             where one request's time goes, piece by piece (no report file)
//   npm run bench -- --diag --only=a,b  just those cases (names as in CASES / DIAG_CASES_ALL)
//   npm run bench -- --profile[=CASE]   V8 CPU profile of one batch (default ours-general-small)
//   npm run bench -- --cost-detail      also every statement and call behind the cost counts
//   --clients=K --seconds=S             the end-to-end load (default 4 clients, 15 s)
//   --state-dir=DIR                     local DO/D1 state (default /dev/shm, else the OS temp dir)
//
// workerd's clocks stand still during pure CPU work, so each figure comes from one bench-worker
// invocation running a whole batch, timed from outside: workerd's CPU time from /proc (all threads,
// the Mailbox DO included) and the wall clock, minus an empty invocation's cost, divided by the batch.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { execSync } from 'node:child_process'
import { newPrivateKeyHex } from '../dev-key.mjs'
import { costSection } from './cost.mjs'
import { clientCryptoCost, runEndToEnd } from './e2e.mjs'
import { profileCase } from './profile.mjs'
import { freePort, migrateLocal, snapshotWorker, startWranglerDev, stopAll } from './wrangler-dev.mjs'

const QUICK = process.argv.includes('--quick')
const DIAG = process.argv.includes('--diag')
const ROUNDS = QUICK ? 2 : 15
const arg = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3)
const E2E_CLIENTS = Number(arg('clients') ?? 4)
const E2E_SECONDS = Number(arg('seconds') ?? (QUICK ? 4 : 15))
/** Batch sizes: each run takes roughly 0.1–0.2 s of CPU here; many short rounds keep the pairs close in time. */
const CASES = [
  ['ours-general-small', 100],
  ['ours-general-64k', 80],
  ['ours-handshake-new', 60],
  ['ours-handshake-returning', 80],
  ['signer-general-small', 100],
  ['signer-general-64k', 80],
  ['floor-general-small', 100],
  ['floor-general-64k', 80],
  ['floor-handshake', 80],
  ['baseline-general-small', 25],
  ['baseline-general-64k', 25],
  ['baseline-handshake', 20],
  ['baseline-fresh-wallet-small', 12],
  // the real routes: one delivered message (3 requests)
  ['real-delivered', 20],
  // where the time goes
  ['diag-mw-no-do-small', 100],
  ['diag-mw-no-do-64k', 80],
  ['diag-handshake-new-no-do', 80],
  ['diag-do-claim', 150],
  ['diag-app-no-auth-small', 200],
]
/** `--diag`: where one request's time goes (pieces of it), instead of the report. */
const DIAG_ONLY = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',')
const DIAG_CASES_ALL = [
  ['ours-general-small', 200],
  ['diag-mw-no-do-small', 200],
  ['diag-mw-no-do-64k', 160],
  ['diag-handshake-new-no-do', 160],
  ['diag-app-no-auth-small', 400],
  ['diag-request-only-small', 600],
  ['diag-auth-parsing-small', 600],
  ['diag-sign-response-small', 300],
  ['diag-do-claim', 300],
  ['diag-verify', 200],
  ['diag-sign', 300],
  ['diag-sha256-64k', 300],
  ['diag-hmac', 1000],
  ['diag-g-multiply', 400],
  ['diag-g-multiply-unsafe', 400],
  ['diag-p-multiply-unsafe', 300],
  ['diag-p-muladd', 300],
  ['diag-p-precomputed', 400],
  ['diag-p-precompute-build', 100],
  ['diag-noble-sign-module', 300],
  ['diag-noble-sign-request-built', 300],
  ['diag-noble-verify', 200],
]
const DIAG_CASES = DIAG_ONLY
  ? [...CASES, ...DIAG_CASES_ALL].filter(
      ([name], i, all) => DIAG_ONLY.includes(name) && all.findIndex(([n]) => n === name) === i,
    )
  : DIAG_CASES_ALL
const scale = QUICK ? 0.25 : 1

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}
const fmt = (x, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a')

async function post(origin, path) {
  const res = await fetch(origin + path, { method: 'POST', signal: AbortSignal.timeout(120_000) })
  const json = await res.json()
  if (!res.ok || json.error) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`)
  return json
}

/** One timed invocation of a prepared batch: { cpuMs, wallMs } for the whole invocation. */
async function timedRun(worker, name, n) {
  await post(worker.origin, `/bench/prepare?case=${name}&n=${n}`)
  const cpu0 = worker.cpuNs()
  const t0 = performance.now()
  const result = await post(worker.origin, `/bench/run?case=${name}`)
  const wallMs = performance.now() - t0
  const cpuMs = (worker.cpuNs() - cpu0) / 1e6
  if (result.ok !== n)
    throw new Error(`${name}: ${result.ok}/${n} iterations succeeded; first failure: ${result.firstFailure}`)
  return { cpuMs, wallMs }
}

function machine() {
  const list = cpus()
  let workerd = ''
  try {
    workerd = execSync('npx workerd --version', {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim()
  } catch {
    workerd = 'workerd (version unknown)'
  }
  return `${list.length} × ${list[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}, ${workerd}`
}

/**
 * Where local DO/D1 state goes: `--state-dir=DIR`, else tmpfs (/dev/shm) when there is one, so that the
 * local disk's write+fsync per Durable Object commit (nothing like production DO storage) is not counted.
 */
const STATE_DIR =
  process.argv.find((a) => a.startsWith('--state-dir='))?.slice(12) ??
  (existsSync('/dev/shm') ? '/dev/shm' : tmpdir())

/** wrangler.toml's [vars]: the bench worker's real routes run with production's settings. */
function productionVars() {
  const text = readFileSync('wrangler.toml', 'utf8')
  const section = /^\[vars\][^\n]*\n([\s\S]*?)(?=^\[)/m.exec(text)?.[1] ?? ''
  const vars = {}
  for (const [, name, double, single] of section.matchAll(/^([A-Z0-9_]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/gm)) {
    vars[name] = double ?? single
  }
  return vars
}

async function microBench(log, cases = CASES, { costs = false } = {}) {
  const persistTo = mkdtempSync(join(STATE_DIR, 'brc33-bench-'))
  const build = mkdtempSync(join(tmpdir(), 'brc33-bench-build-'))
  const config = snapshotWorker('scripts/bench/wrangler.bench.toml', build)
  migrateLocal({ persistTo, config })
  const worker = await startWranglerDev({
    config,
    port: await freePort(),
    persistTo,
    vars: { ...productionVars(), SERVER_PRIVATE_KEY: newPrivateKeyHex() },
    readyPath: '/bench/ping',
  })
  try {
    // The first request of a fresh isolate builds the server key (noble's base-point table included);
    // the same invocation again, warm, is the difference's other side.
    const timedKey = async () => {
      const cpu0 = worker.cpuNs()
      const t0 = performance.now()
      await post(worker.origin, '/bench/key')
      return { wallMs: performance.now() - t0, cpuMs: (worker.cpuNs() - cpu0) / 1e6 }
    }
    const cold = await timedKey()
    const warm = await timedKey()
    const firstRequest = { cpu: cold.cpuMs - warm.cpuMs, wall: cold.wallMs - warm.wallMs }
    // Warm-up: JIT and each case once.
    for (const [name] of cases) await timedRun(worker, name, 4)
    const overhead = { cpu: [], wall: [] }
    const samples = new Map(cases.map(([name]) => [name, { cpu: [], wall: [] }]))
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < 3; i++) {
        const { cpuMs, wallMs } = await timedRun(worker, 'noop', 1)
        overhead.cpu.push(cpuMs)
        overhead.wall.push(wallMs)
      }
      const invocationCpu = median(overhead.cpu)
      const invocationWall = median(overhead.wall)
      for (const [name, baseN] of cases) {
        const n = Math.max(8, Math.round(baseN * scale))
        const { cpuMs, wallMs } = await timedRun(worker, name, n)
        samples.get(name).cpu.push(Math.max(0, cpuMs - invocationCpu) / n)
        samples.get(name).wall.push(Math.max(0, wallMs - invocationWall) / n)
      }
      log(`  round ${round + 1}/${ROUNDS} done`)
    }
    let costCounts
    if (costs) {
      log('bench: cost counts (real routes, metered bindings)')
      costCounts = await post(worker.origin, '/bench/costs')
    }
    return {
      samples,
      overhead: { cpu: median(overhead.cpu), wall: median(overhead.wall) },
      firstRequest,
      costCounts,
    }
  } finally {
    await worker.stop()
    rmSync(persistTo, { recursive: true, force: true })
    rmSync(build, { recursive: true, force: true })
  }
}

async function endToEnd(log) {
  const persistTo = mkdtempSync(join(STATE_DIR, 'brc33-e2e-'))
  const build = mkdtempSync(join(tmpdir(), 'brc33-e2e-build-'))
  const config = snapshotWorker('wrangler.toml', build)
  migrateLocal({ persistTo, config })
  const relay = await startWranglerDev({
    config,
    port: await freePort(),
    persistTo,
    vars: { SERVER_PRIVATE_KEY: newPrivateKeyHex() },
    readyPath: '/health',
  })
  try {
    log(`  ${E2E_CLIENTS} clients for ${E2E_SECONDS} s against ${relay.origin}`)
    return await runEndToEnd({
      origin: relay.origin,
      clients: E2E_CLIENTS,
      seconds: E2E_SECONDS,
      serverCpuNs: relay.cpuNs,
      proxyCpuNs: relay.proxyCpuNs,
    })
  } finally {
    await relay.stop()
    rmSync(persistTo, { recursive: true, force: true })
    rmSync(build, { recursive: true, force: true })
  }
}

function row(label, stats) {
  const cpuSorted = [...stats.cpu].sort((a, b) => a - b)
  return `| ${label} | ${fmt(median(stats.cpu))} | ${fmt(cpuSorted[0])}–${fmt(cpuSorted.at(-1))} | ${fmt(median(stats.wall))} | ${stats.cpu.length} |`
}

/** Per-round ratio a/b (paired within a round), as median and range. */
function ratio(a, b) {
  const per = a.cpu.map((x, i) => x / b.cpu[i]).sort((x, y) => x - y)
  return { median: median(per), low: per[0], high: per.at(-1) }
}

async function main() {
  const log = (line) => process.stderr.write(line + '\n')
  const started = performance.now()
  const when = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
  log(`bench: ${QUICK ? 'quick' : 'full'} run, ${ROUNDS} rounds`)
  const profile = process.argv.find((a) => a === '--profile' || a.startsWith('--profile='))
  if (profile) {
    const name = profile.includes('=') ? profile.slice(10) : 'ours-general-small'
    const build = mkdtempSync(join(tmpdir(), 'brc33-bench-build-'))
    const persistTo = mkdtempSync(join(STATE_DIR, 'brc33-bench-'))
    const inspectorPort = await freePort()
    const worker = await startWranglerDev({
      config: snapshotWorker('scripts/bench/wrangler.bench.toml', build),
      port: await freePort(),
      persistTo,
      vars: { ...productionVars(), SERVER_PRIVATE_KEY: newPrivateKeyHex() },
      readyPath: '/bench/ping',
      extraArgs: ['--inspector-port', String(inspectorPort)],
    })
    try {
      const rows = await profileCase({ origin: worker.origin, inspectorPort, name, n: 600 })
      process.stdout.write(`| self time in ${name} (bundle line) | share of CPU samples |\n|---|---:|\n`)
      for (const { fn, share } of rows.slice(0, 30))
        process.stdout.write(`| ${fn} | ${(share * 100).toFixed(1)} % |\n`)
    } finally {
      await worker.stop()
      rmSync(persistTo, { recursive: true, force: true })
      rmSync(build, { recursive: true, force: true })
    }
    return
  }
  if (DIAG) {
    const { samples } = await microBench(log, DIAG_CASES)
    process.stdout.write(
      '| piece (per operation) | CPU ms | CPU spread | wall ms | rounds |\n|---|---:|---:|---:|---:|\n',
    )
    for (const [name] of DIAG_CASES) process.stdout.write(row(name, samples.get(name)) + '\n')
    return
  }
  log('bench: micro (bench worker under wrangler dev)')
  const { samples, overhead, firstRequest, costCounts } = await microBench(log, CASES, { costs: true })
  log('bench: client crypto cost (Node, @bsv/sdk)')
  const clientCrypto = await clientCryptoCost(QUICK ? 15 : 40)
  log('bench: end to end (relay under wrangler dev)')
  let e2e
  try {
    e2e = await endToEnd(log)
  } catch (error) {
    e2e = { error: String(error?.message ?? error).slice(0, 500) }
  }

  const s = (name) => samples.get(name)
  const lines = []
  lines.push(`## Request cost (\`npm run bench\`, ${when})`)
  lines.push('')
  lines.push(
    `Machine: ${machine()}; shared and noisy. One run; every figure below is from it. Local DO/D1 state in ${STATE_DIR}.`,
  )
  lines.push(
    `CPU = the worker's workerd process's CPU time (all threads, Mailbox DO included; not wrangler's dev proxy) per operation, from /proc, over one invocation running a batch; ` +
      `wall = that invocation's wall time per operation. Both minus an empty invocation (${fmt(overhead.cpu)} ms CPU, ${fmt(overhead.wall)} ms wall). ` +
      `Medians over ${ROUNDS} rounds; spread = min–max of the rounds.`,
  )
  lines.push('')
  lines.push('| measurement (per operation) | CPU ms (median) | CPU spread | wall ms | rounds |')
  lines.push('|---|---:|---:|---:|---:|')
  lines.push(
    row(
      '**ours**, general request, listMessages-sized (verify + DO nonce claim + sign, full middleware chain)',
      s('ours-general-small'),
    ),
  )
  lines.push(row('**ours**, general request, sendMessage with 64 KiB body', s('ours-general-64k')))
  lines.push(
    row(
      '**ours**, handshake, new identity (ECDH + sign + new Mailbox DO + session write)',
      s('ours-handshake-new'),
    ),
  )
  lines.push(
    row('**ours**, handshake, returning identity (cached ECDH, warm DO)', s('ours-handshake-returning')),
  )
  lines.push(row('our AuthSigner alone, verify + sign, listMessages-sized', s('signer-general-small')))
  lines.push(row('our AuthSigner alone, verify + sign, 64 KiB', s('signer-general-64k')))
  lines.push(
    row(
      '**floor** (@noble/curves 2.4.0 API directly), verify + sign, listMessages-sized',
      s('floor-general-small'),
    ),
  )
  lines.push(row('**floor**, verify + sign, 64 KiB', s('floor-general-64k')))
  lines.push(row('**floor**, handshake (ECDH + sign)', s('floor-handshake')))
  lines.push(
    row(
      '**baseline** (@bsv/sdk Peer + ProtoWallet, Express way), general, listMessages-sized',
      s('baseline-general-small'),
    ),
  )
  lines.push(row('**baseline**, general, 64 KiB', s('baseline-general-64k')))
  lines.push(row('**baseline**, handshake (createNonce + sign, new identity)', s('baseline-handshake')))
  lines.push(
    row(
      'baseline variant: a new ProtoWallet per request (naive Workers port), general, listMessages-sized',
      s('baseline-fresh-wallet-small'),
    ),
  )
  lines.push(
    row(
      '**ours**, one delivered message through the real routes (send → list → acknowledge: 3 requests, real D1 and Mailbox)',
      s('real-delivered'),
    ),
  )
  lines.push(
    row(
      'where it goes: ours, listMessages-sized, Mailbox DO replaced by an in-memory map (Worker share)',
      s('diag-mw-no-do-small'),
    ),
  )
  lines.push(
    row('where it goes: ours, 64 KiB, Mailbox DO replaced by an in-memory map', s('diag-mw-no-do-64k')),
  )
  lines.push(
    row(
      'where it goes: ours, handshake new identity, Mailbox DO replaced by an in-memory map',
      s('diag-handshake-new-no-do'),
    ),
  )
  lines.push(
    row(
      'where it goes: one Mailbox `claimRequest` RPC alone (both sides, local workerd)',
      s('diag-do-claim'),
    ),
  )
  lines.push(
    row(
      'where it goes: the framework alone (CORS, key, raw body, Hono, JSON route; no BRC-104)',
      s('diag-app-no-auth-small'),
    ),
  )
  const ratioRows = [
    ['ours/floor, general listMessages-sized', ratio(s('ours-general-small'), s('floor-general-small'))],
    ['ours/floor, general 64 KiB', ratio(s('ours-general-64k'), s('floor-general-64k'))],
    ['ours/floor, handshake (new identity)', ratio(s('ours-handshake-new'), s('floor-handshake'))],
    [
      'baseline/ours, general listMessages-sized',
      ratio(s('baseline-general-small'), s('ours-general-small')),
    ],
    ['baseline/ours, general 64 KiB', ratio(s('baseline-general-64k'), s('ours-general-64k'))],
    ['baseline/ours, handshake (new identity)', ratio(s('baseline-handshake'), s('ours-handshake-new'))],
    [
      'ours/floor, general listMessages-sized, Worker share (DO in memory)',
      ratio(s('diag-mw-no-do-small'), s('floor-general-small')),
    ],
    [
      'baseline/ours, general listMessages-sized, Worker share (DO in memory, as the baseline)',
      ratio(s('baseline-general-small'), s('diag-mw-no-do-small')),
    ],
  ]
  for (const [label, r] of ratioRows) {
    lines.push(
      `| ratio ${label} (paired per round) | ${fmt(r.median)}× | ${fmt(r.low)}–${fmt(r.high)} | | ${ROUNDS} |`,
    )
  }
  if (e2e.error) {
    lines.push(`| end to end | failed: ${e2e.error.replace(/\|/g, '/').replace(/\n/g, ' ')} | | | |`)
  } else {
    const what = e2e.routesMissing
      ? 'routes not in this tree yet: same cycle against the signed 404s of those paths'
      : 'send → list → acknowledge'
    lines.push(
      `| **end to end**: ${e2e.clients} AuthFetch clients, ${fmt(e2e.seconds, 0)} s, ${what}; ` +
        `${e2e.requests} authenticated requests (${e2e.succeeded} answered 2xx), ${e2e.failures} failed cycles | ` +
        `${fmt(e2e.rps, 1)} req/s (2xx: ${fmt(e2e.successRps, 1)}) | p50 ${fmt(e2e.p50, 1)} ms, p95 ${fmt(e2e.p95, 1)} ms | | 1 |`,
    )
    lines.push(
      `| end to end, CPU per request: relay (workerd: routes, D1, DOs, auth) / wrangler's dev proxy / client (Node load generator, all of it) | ` +
        `${fmt(e2e.serverCpuMsPerRequest)} / ${fmt(e2e.proxyCpuMsPerRequest)} / ${fmt(e2e.clientCpuMsPerRequest)} | | | 1 |`,
    )
  }
  lines.push(
    `| once per isolate: extra CPU of its first request (server key, noble's base-point table, first JIT) | ${fmt(firstRequest.cpu)} | | ${fmt(firstRequest.wall)} | 1 |`,
  )
  lines.push(
    `| client's own crypto per request (@bsv/sdk in Node: sign + verifyNonce + verify) | ${fmt(clientCrypto)} | | | 1 |`,
  )
  lines.push('')
  if (!e2e.error) {
    lines.push(
      `End to end: client and server share this ${cpus().length}-core machine, so the load generator's own crypto ` +
        `(${fmt(clientCrypto)} ms per request in @bsv/sdk) competes with the relay for the same cores; ` +
        `responses seen: ${Object.entries(e2e.statuses)
          .map(([k, v]) => `${k} ×${v}`)
          .join(', ')}.` +
        (e2e.firstError ? ` First failure: ${e2e.firstError}` : ''),
    )
    lines.push('')
  }
  const cost = costSection(costCounts, median(s('real-delivered').cpu), {
    detail: process.argv.includes('--cost-detail'),
  })
  lines.push(...cost.lines)
  lines.push(`Total bench time: ${fmt((performance.now() - started) / 1000, 0)} s.`)
  lines.push('')
  lines.push(`ours/floor: ${fmt(ratioRows[0][1].median)}`)
  lines.push(`baseline/ours: ${fmt(ratioRows[3][1].median)}`)
  lines.push(`rows-written-per-message: ${fmt(cost.rowsWrittenPerMessage, 0)}`)
  lines.push(`usd-per-million-messages: ${fmt(cost.usdPerMillion, 2)}`)
  const text = lines.join('\n') + '\n'
  mkdirSync('bench-results', { recursive: true })
  writeFileSync('bench-results/latest.md', text)
  process.stdout.write(text)
}

// Bounded: whatever happens, nothing outlives the bench, and the bench does not outlive 5 minutes.
const WATCHDOG_MS = 300_000
setTimeout(() => {
  console.error(`bench: still running after ${WATCHDOG_MS / 1000} s; stopping`)
  stopAll('SIGKILL')
  process.exit(2)
}, WATCHDOG_MS).unref()
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopAll()
    process.exit(130)
  })
}

main().catch((error) => {
  console.error(error)
  stopAll()
  process.exit(1)
})
