// `npm run dev`: one command from a fresh clone (after `npm ci`): a development key in .dev.vars if
// none exists, local D1 migrations applied, then `wrangler dev`, printing the URL and server identity.
// Options: PORT / HOST env vars, or `npm run dev -- --port 9000 --ip 0.0.0.0`; other arguments go to wrangler dev.
import { ensureDevKey, identityKeyOf } from './dev-key.mjs'
import { hasMigrations, killGroup, migrateLocal, QUIET_ENV, ROOT, spawnWranglerDev } from './wrangler.mjs'

process.chdir(ROOT)

const args = process.argv.slice(2)
const port = takeOption(args, '--port') ?? process.env.PORT ?? '8787'
const ip = takeOption(args, '--ip') ?? process.env.HOST ?? '127.0.0.1'
const url = `http://${ip === '0.0.0.0' ? '127.0.0.1' : ip}:${port}`

let devKey
try {
  devKey = ensureDevKey()
} catch (error) {
  console.error(error.message)
  process.exit(1)
}
const { privateKey, created } = devKey
const identityKey = identityKeyOf(privateKey)
console.log(created ? 'Generated a development key in .dev.vars.' : 'Using the development key in .dev.vars.')

if (hasMigrations()) {
  console.log('Applying local D1 migrations…')
  // Into the same state directory wrangler dev will use.
  const persistTo =
    args.find((a, i) => args[i - 1] === '--persist-to') ??
    args.find((a) => a.startsWith('--persist-to='))?.slice(13)
  try {
    migrateLocal({ persistTo, stdio: 'inherit' })
  } catch {
    console.error('\nApplying the local migrations failed (see above).')
    process.exit(1)
  }
} else {
  console.log('No migrations in migrations/: skipping `wrangler d1 migrations apply`.')
}

// Watched by a person: quiet, but with colours and wrangler's own prompts.
const dev = spawnWranglerDev({ ip, port, args, env: QUIET_ENV, stderr: 'inherit' })
let output = ''
let announced = false
dev.stdout.on('data', (chunk) => {
  process.stdout.write(chunk)
  if (announced) return
  output += String(chunk)
  if (/Ready on/.test(output)) {
    announced = true
    output = ''
    void announce()
  }
})

/** Prints where the relay is, once GET /health confirms it is up with the key from .dev.vars. */
async function announce() {
  let health
  for (let i = 0; i < 40 && !health; i++) {
    try {
      const res = await fetch(`${url}/health`)
      health = await res.json()
    } catch {
      await new Promise((done) => setTimeout(done, 250))
    }
  }
  console.log(`\n  BRC-33 relay listening on ${url}`)
  console.log(`  Server identity key: ${health?.identityKey ?? identityKey}`)
  if (health && health.identityKey !== identityKey) {
    console.log(`  (not the key in .dev.vars, ${identityKey}: a --var or environment overrides it)`)
  }
  console.log(`  Try it: npm run demo -- ${url}   (Ctrl-C stops the relay)\n`)
}

let stopping = false
function stop(signal) {
  if (stopping) return
  stopping = true
  killGroup(dev.pid, signal)
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'])
  process.on(signal, () => stop(signal === 'SIGHUP' ? 'SIGTERM' : signal))
process.on('exit', () => stop('SIGTERM'))
dev.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)))

/** Removes `--name value` / `--name=value` from `list` and returns the value. */
function takeOption(list, name) {
  for (let i = 0; i < list.length; i++) {
    if (list[i] === name && i + 1 < list.length) return list.splice(i, 2)[1]
    if (list[i].startsWith(`${name}=`)) return list.splice(i, 1)[0].slice(name.length + 1)
  }
  return undefined
}
