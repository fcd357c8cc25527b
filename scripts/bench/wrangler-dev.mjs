// The bench's `wrangler dev` (127.0.0.1 only, its own port and state directory), started through the
// project's one wrangler runner (scripts/wrangler.mjs), over a snapshot of the worker that cannot change
// mid-run; and the CPU time its workerd processes have used, from /proc (nanoseconds, all threads).
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { killGroup, runWrangler, spawnWranglerDev, stopWranglerDev } from '../wrangler.mjs'

export { freePort, migrateLocal } from '../wrangler.mjs'

/** Process groups of the `wrangler dev` instances this process started and has not stopped yet. */
const running = new Set()

/** Stops every `wrangler dev` this process started (for watchdogs and signals). */
export function stopAll(signal = 'SIGTERM') {
  for (const pid of running) killGroup(pid, signal)
}

/**
 * Bundles the worker of `config` once into `dir` and writes `dir/wrangler.toml` that serves that bundle
 * unbundled (and a copy of its migrations). `wrangler dev` reloads on every source change; in a tree
 * others are editing, a reload mid-run would mix two builds into one figure. The snapshot cannot change.
 * @returns the snapshot's config path
 */
export function snapshotWorker(config, dir) {
  runWrangler(['deploy', '--dry-run', '--config', config, '--outdir', dir])
  let text = readFileSync(config, 'utf8')
  const main = /^main\s*=\s*"([^"]+)"/m.exec(text)?.[1]
  if (!main) throw new Error(`${config} has no main`)
  const bundle = basename(main).replace(/\.[cm]?[jt]s$/, '.js')
  if (!existsSync(join(dir, bundle))) throw new Error(`bundle ${bundle} not found in ${dir}`)
  text = text.replace(/^main\s*=.*$/m, `main = "${bundle}"\nno_bundle = true`)
  const migrations = /^migrations_dir\s*=\s*"([^"]+)"/m.exec(text)?.[1]
  if (migrations) {
    cpSync(resolve(dirname(config), migrations), join(dir, 'migrations'), { recursive: true })
    text = text.replace(/^migrations_dir\s*=.*$/m, 'migrations_dir = "migrations"')
  }
  const snapshot = join(dir, 'wrangler.toml')
  writeFileSync(snapshot, text)
  return snapshot
}

/**
 * `wrangler dev` in its own process group; resolves once `ready` answers.
 * @returns {{ origin: string, stop(): Promise<void>, cpuNs(): number, log(): string }}
 */
export async function startWranglerDev({ config, port, persistTo, vars, readyPath, extraArgs = [] }) {
  const args = ['--show-interactive-dev-session=false', '--log-level', 'warn', ...extraArgs]
  const child = spawnWranglerDev({ config, port, persistTo, vars, args })
  running.add(child.pid)
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  child.stderr.on('data', (chunk) => (output += chunk))
  const origin = `http://127.0.0.1:${port}`
  let exited = false
  child.on('exit', () => {
    exited = true
    running.delete(child.pid)
  })

  const deadline = Date.now() + 60_000
  for (;;) {
    if (exited) throw new Error(`wrangler dev exited:\n${output}`)
    if (Date.now() > deadline) {
      killGroup(child.pid)
      throw new Error(`wrangler dev not ready after 60 s:\n${output}`)
    }
    try {
      const res = await fetch(origin + readyPath, { signal: AbortSignal.timeout(2000) })
      if (res.ok) break
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250))
  }

  return {
    origin,
    log: () => output,
    /**
     * CPU time (user + system, every thread) of the workerd that runs the worker and its Durable
     * Objects. wrangler dev runs a second workerd in front of it (a proxy on the public port, started
     * without an inspector); that one is not the relay and is counted by `proxyCpuNs`.
     */
    cpuNs: () => workerdPids(child.pid, true).reduce((sum, pid) => sum + processCpuNs(pid), 0),
    proxyCpuNs: () => workerdPids(child.pid, false).reduce((sum, pid) => sum + processCpuNs(pid), 0),
    stop: async () => {
      await stopWranglerDev(child)
      running.delete(child.pid)
    },
  }
}

function childrenOf() {
  const map = new Map()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (!map.has(ppid)) map.set(ppid, [])
      map.get(ppid).push(Number(name))
    } catch {
      // exited meanwhile
    }
  }
  return map
}

function descendants(root) {
  const map = childrenOf()
  const out = []
  const stack = [root]
  while (stack.length) {
    const pid = stack.pop()
    for (const child of map.get(pid) ?? []) {
      out.push(child)
      stack.push(child)
    }
  }
  return out
}

/** workerd processes under `root`: the runtime (started with an inspector) or the proxy. */
function workerdPids(root, runtime) {
  return descendants(root).filter((pid) => isWorkerd(pid) && hasInspector(pid) === runtime)
}

function hasInspector(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--inspector-addr')
  } catch {
    return false
  }
}

function isWorkerd(pid) {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim().startsWith('workerd')
  } catch {
    return false
  }
}

/** Sum of every thread's on-CPU time (schedstat, ns). */
function processCpuNs(pid) {
  let total = 0
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0])
      } catch {
        // thread exited
      }
    }
  } catch {
    // process exited
  }
  return total
}
