// The one way this project runs wrangler on a developer's machine: `npm run dev` (scripts/dev.mjs), the bench
// (scripts/bench/) and the end-to-end tests (test/e2e/helpers/wrangler-dev.ts) all start `wrangler dev` and
// apply local migrations through here. The project's own wrangler binary (no npx layer, so signals reach it),
// quiet and offline-safe (docs/platform.md §6), each `wrangler dev` in its own process group so stopping it
// ends wrangler, esbuild and workerd together.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The project root (scripts/..). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

export const WRANGLER_BIN = join(
  dirname(createRequire(join(ROOT, 'package.json')).resolve('wrangler/package.json')),
  'bin',
  'wrangler.js',
)

/** No telemetry, no request to Cloudflare for the account's settings: works offline. */
export const QUIET_ENV = {
  ...process.env,
  WRANGLER_SEND_METRICS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
}

/** For a run nobody watches: no prompt (CI), no colour codes in logs. */
export const UNATTENDED_ENV = { ...QUIET_ENV, CI: 'true', NO_COLOR: '1' }

/**
 * Runs `wrangler <args>` to its end from the project root.
 * @param {string[]} args
 * @param {{ stdio?: 'pipe' | 'inherit', timeoutMs?: number }} [options]
 * @throws {Error} with wrangler's output when it fails
 */
export function runWrangler(args, { stdio = 'pipe', timeoutMs = 120_000 } = {}) {
  const run = spawnSync(process.execPath, [WRANGLER_BIN, ...args], {
    cwd: ROOT,
    env: UNATTENDED_ENV,
    encoding: 'utf8',
    stdio,
    timeout: timeoutMs,
  })
  if (run.status !== 0) {
    throw new Error(
      `wrangler ${args.slice(0, 3).join(' ')} failed (${run.status}):\n${run.stdout ?? ''}\n${run.stderr ?? ''}`,
    )
  }
  return run.stdout ?? ''
}

/** Whether the project has migrations to apply (a fresh checkout always does; a trimmed copy may not). */
export function hasMigrations(dir = join(ROOT, 'migrations')) {
  return existsSync(dir) && readdirSync(dir).some((name) => name.endsWith('.sql'))
}

/**
 * Applies the D1 migrations of `config` to local state (`persistTo`, else wrangler's default directory).
 * @param {{ persistTo?: string, config?: string, stdio?: 'pipe' | 'inherit' }} [options]
 */
export function migrateLocal({ persistTo, config, stdio } = {}) {
  const args = ['d1', 'migrations', 'apply', 'DB', '--local']
  if (persistTo) args.push('--persist-to', persistTo)
  if (config) args.push('--config', config)
  runWrangler(args, { stdio })
}

/**
 * Starts `wrangler dev` in its own process group (detached: setsid). No stdin: a process outside the
 * terminal's foreground group would be stopped (SIGTTIN) by reading it.
 * @param {{ ip?: string, port: number | string, persistTo?: string, config?: string, inspectorPort?: number,
 *   vars?: Record<string, string>, args?: string[], env?: NodeJS.ProcessEnv,
 *   stdout?: 'pipe' | 'inherit' | number, stderr?: 'pipe' | 'inherit' | number }} options
 * @returns {import('node:child_process').ChildProcess}
 */
export function spawnWranglerDev(options) {
  const args = ['dev', '--ip', options.ip ?? '127.0.0.1', '--port', String(options.port)]
  if (options.config) args.push('--config', options.config)
  if (options.persistTo) args.push('--persist-to', options.persistTo)
  if (options.inspectorPort) args.push('--inspector-port', String(options.inspectorPort))
  // wrangler takes NAME up to the first colon and the rest, colons included, as VALUE: JSON and URLs pass intact.
  for (const [name, value] of Object.entries(options.vars ?? {})) args.push('--var', `${name}:${value}`)
  args.push(...(options.args ?? []))
  return spawn(process.execPath, [WRANGLER_BIN, ...args], {
    cwd: ROOT,
    env: options.env ?? UNATTENDED_ENV,
    detached: true,
    stdio: ['ignore', options.stdout ?? 'pipe', options.stderr ?? 'pipe'],
  })
}

/** Sends `signal` to the process group `pid` leads (nothing if it is gone). */
export function killGroup(pid, signal = 'SIGTERM') {
  try {
    process.kill(-pid, signal)
  } catch {
    // already gone
  }
}

/** Whether any process of the group `pid` leads is still running. */
export function groupAlive(pid) {
  try {
    process.kill(-pid, 0)
    return true
  } catch {
    return false
  }
}

/**
 * Stops a `wrangler dev` started by `spawnWranglerDev`: SIGTERM to its group, SIGKILL after `graceMs`,
 * then waits until the group is empty (workerd may outlive the leader for a moment). Safe to call twice.
 * @param {import('node:child_process').ChildProcess} child
 */
export async function stopWranglerDev(child, graceMs = 10_000) {
  const pid = child.pid
  if (pid === undefined) return
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((done) => child.once('exit', () => done(true)))
    killGroup(pid, 'SIGTERM')
    const stopped = await Promise.race([exited, sleep(graceMs).then(() => false)])
    if (!stopped) killGroup(pid, 'SIGKILL')
  } else {
    killGroup(pid, 'SIGTERM') // the leader is gone; make sure workerd is too
  }
  for (let i = 0; i < 40 && groupAlive(pid); i++) await sleep(100)
  if (groupAlive(pid)) killGroup(pid, 'SIGKILL')
}

/** A TCP port free on 127.0.0.1 right now (never 8787, which `npm run dev` uses). */
export function freePort() {
  return new Promise((done, fail) => {
    const server = createServer()
    server.once('error', fail)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => (port === 8787 ? freePort().then(done, fail) : done(port)))
    })
  })
}

/** @param {number} ms */
export function sleep(ms) {
  return new Promise((done) => setTimeout(done, ms))
}
