import type { ChildProcess } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PrivateKey } from '@bsv/sdk'
import { newPrivateKeyHex } from '../../../scripts/dev-key.mjs'
import {
  freePort,
  hasMigrations,
  killGroup,
  migrateLocal,
  sleep,
  spawnWranglerDev,
  stopWranglerDev,
} from '../../../scripts/wrangler.mjs'

export { freePort, sleep }

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
  if (hasMigrations()) migrateLocal({ persistTo })
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
  const child = spawnWranglerDev({
    port: listenPort,
    inspectorPort,
    persistTo: state.persistTo,
    vars: { SERVER_PRIVATE_KEY: state.serverPrivateKey, ...vars },
    args: ['--show-interactive-dev-session=false'],
    stdout: log,
    stderr: log,
  })
  closeSync(log)
  const pid = child.pid
  if (pid === undefined) throw new Error('wrangler dev did not start')
  trackGroup(pid)

  const url = `http://127.0.0.1:${listenPort}`
  const relay: RelayProcess = {
    url,
    port: listenPort,
    pid,
    logFile,
    stop: async () => {
      await stopWranglerDev(child)
      untrackGroup(pid)
    },
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

function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n')
  } catch {
    return '(no log)'
  }
}
