import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { PrivateKey } from '@bsv/sdk'
// @ts-expect-error a plain .mjs module of the project's scripts, without type declarations
import { newPrivateKeyHex } from '../../../scripts/dev-key.mjs'

/** The project root: npm scripts, and so vitest, run from there. */
const ROOT = process.cwd()
const WRANGLER_BIN = resolve(
  createRequire(join(ROOT, 'package.json')).resolve('wrangler/package.json'),
  '../bin/wrangler.js',
)

/** Quiet, offline-safe, prompt-free wrangler (docs/platform.md gotcha 6). */
const WRANGLER_ENV = {
  ...process.env,
  WRANGLER_SEND_METRICS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  CI: 'true',
  NO_COLOR: '1',
}

/** Local state for one or more `wrangler dev` runs: its own D1/DO directory and server key. */
export interface RelayState {
  /** `--persist-to` directory, fresh and migrated. */
  persistTo: string
  /** The relay's SERVER_PRIVATE_KEY (64 hex), passed with `--var`, never written to .dev.vars. */
  serverPrivateKey: string
  /** The identity key GET /health must report for that key. */
  serverIdentityKey: string
}

/** A running `wrangler dev`. */
export interface RelayProcess {
  url: string
  port: number
  pid: number
  logFile: string
  /** Ends wrangler, esbuild and workerd together (the whole process group); safe to call twice. */
  stop(): Promise<void>
}

/**
 * A fresh temporary state directory with the project's D1 migrations applied to it
 * (`wrangler d1 migrations apply DB --local --persist-to <dir>`), and a random server key.
 */
export function createRelayState(): RelayState {
  const persistTo = mkdtempSync(join(tmpdir(), 'brc33-e2e-'))
  if (hasMigrations()) {
    const run = spawnSync(
      process.execPath,
      [WRANGLER_BIN, 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persistTo],
      { cwd: ROOT, env: WRANGLER_ENV, encoding: 'utf8', timeout: 120_000 },
    )
    if (run.status !== 0) {
      throw new Error(`wrangler d1 migrations apply failed (${run.status}):\n${run.stdout}\n${run.stderr}`)
    }
  }
  const serverPrivateKey = newPrivateKeyHex()
  installExitHook()
  liveStates.add(persistTo)
  return {
    persistTo,
    serverPrivateKey,
    serverIdentityKey: PrivateKey.fromString(serverPrivateKey, 'hex').toPublicKey().toString(),
  }
}

/** Deletes a state directory made by {@link createRelayState} (kept when E2E_KEEP_STATE is set). */
export function removeRelayState(state: RelayState): void {
  if (process.env.E2E_KEEP_STATE) return
  rmSync(state.persistTo, { recursive: true, force: true })
  liveStates.delete(state.persistTo)
}

/**
 * Starts `wrangler dev` on 127.0.0.1 (a free port unless one is given) over `state`, in its own
 * process group, and resolves once GET /health answers with the expected identity key. `vars` are
 * passed as `--var NAME:VALUE` (overriding wrangler.toml's [vars]; secrets too, as .dev.vars would).
 * @throws Error with the tail of wrangler's log when it exits or is not healthy within `timeoutMs`.
 */
export async function startRelay(
  state: RelayState,
  {
    port,
    timeoutMs = 90_000,
    vars = {},
  }: { port?: number; timeoutMs?: number; vars?: Record<string, string> } = {},
): Promise<RelayProcess> {
  const listenPort = port ?? (await freePort())
  const inspectorPort = await freePort()
  const logFile = join(state.persistTo, `wrangler-dev-${listenPort}-${Date.now()}.log`)
  const log = openSync(logFile, 'a')
  const child = spawn(
    process.execPath,
    [
      WRANGLER_BIN,
      'dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(listenPort),
      '--inspector-port',
      String(inspectorPort),
      '--persist-to',
      state.persistTo,
      '--var',
      `SERVER_PRIVATE_KEY:${state.serverPrivateKey}`,
      // wrangler takes NAME up to the first colon and the rest, colons included, as VALUE: JSON and URLs pass intact.
      ...Object.entries(vars).flatMap(([name, value]) => ['--var', `${name}:${value}`]),
      '--show-interactive-dev-session=false',
    ],
    // detached = setsid: wrangler, esbuild and workerd share a new process group we can end at once.
    { cwd: ROOT, env: WRANGLER_ENV, detached: true, stdio: ['ignore', log, log] },
  )
  closeSync(log)
  const pid = child.pid
  if (pid === undefined) throw new Error('wrangler dev did not start')
  const exited = new Promise<void>((done) => child.once('exit', () => done()))
  trackGroup(pid)

  const url = `http://127.0.0.1:${listenPort}`
  const relay: RelayProcess = {
    url,
    port: listenPort,
    pid,
    logFile,
    stop: () => stopGroup(pid, child, exited),
  }
  try {
    await waitForHealth(url, state.serverIdentityKey, child, timeoutMs)
  } catch (error) {
    await relay.stop()
    throw new Error(`${(error as Error).message}\n--- ${logFile} ---\n${tail(logFile)}`)
  }
  return relay
}

/** Polls GET /health until it reports `identityKey`. */
async function waitForHealth(url: string, identityKey: string, child: ChildProcess, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs
  let last = 'no answer yet'
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `wrangler dev exited (${child.exitCode ?? child.signalCode}) before ${url}/health answered`,
      )
    }
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) })
      const body = (await res.json()) as { status?: string; identityKey?: string }
      if (res.ok && body.identityKey === identityKey) return
      last = `${res.status} ${JSON.stringify(body)}`
    } catch (error) {
      last = String((error as Error).message)
    }
    await sleep(250)
  }
  throw new Error(`wrangler dev at ${url} not healthy within ${timeoutMs} ms (last: ${last})`)
}

async function stopGroup(pid: number, child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    killGroup(pid, 'SIGTERM')
    const stopped = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)])
    if (!stopped) killGroup(pid, 'SIGKILL')
  } else {
    killGroup(pid, 'SIGTERM') // the leader is gone; make sure workerd is too
  }
  // workerd may outlive the leader for a moment; wait until the group is empty.
  for (let i = 0; i < 40 && groupAlive(pid); i++) await sleep(100)
  if (groupAlive(pid)) killGroup(pid, 'SIGKILL')
  untrackGroup(pid)
}

// Every group still running is ended, and every state directory removed, when this process
// exits, whatever the way the tests ended (E2E_KEEP_STATE=1 keeps the directories for debugging).
const liveGroups = new Set<number>()
const liveStates = new Set<string>()
let exitHookInstalled = false

function cleanUpNow() {
  for (const group of liveGroups) killGroup(group, 'SIGTERM')
  liveGroups.clear()
  if (process.env.E2E_KEEP_STATE) return
  for (const dir of liveStates) rmSync(dir, { recursive: true, force: true })
  liveStates.clear()
}

function trackGroup(pid: number) {
  installExitHook()
  liveGroups.add(pid)
}

function installExitHook() {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', cleanUpNow)
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      cleanUpNow()
      // Only end the process ourselves when nobody else (vitest) handles the signal.
      if (process.listenerCount(signal) === 0)
        process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1))
    })
  }
}

function untrackGroup(pid: number) {
  liveGroups.delete(pid)
}

function killGroup(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pid, signal)
  } catch {
    // already gone
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0)
    return true
  } catch {
    return false
  }
}

function hasMigrations(): boolean {
  const dir = join(ROOT, 'migrations')
  return existsSync(dir) && readdirSync(dir).some((name) => name.endsWith('.sql'))
}

/** A port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer()
    server.once('error', fail)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => done(port))
    })
  })
}

function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n')
  } catch {
    return '(no log)'
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms))
}
