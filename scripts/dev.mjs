// `npm run dev`: one command from a fresh clone (after `npm ci`): a development key in .dev.vars if
// none exists, local D1 migrations applied, then `wrangler dev`, printing the URL and server identity.
import { spawn, spawnSync } from 'node:child_process'
import { ensureDevKey, identityKeyOf } from './dev-key.mjs'

const port = process.env.PORT ?? '8787'
const ip = process.env.HOST ?? '127.0.0.1'
// Quiet and offline-safe wrangler (platform.md gotcha 6).
const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' }

const { privateKey, created } = ensureDevKey()
const identityKey = identityKeyOf(privateKey)
console.log(created ? 'Generated a development key in .dev.vars.' : 'Using the development key in .dev.vars.')

const migrate = spawnSync('npx', ['wrangler', 'd1', 'migrations', 'apply', 'DB', '--local'], {
  stdio: 'inherit',
  env: { ...env, CI: 'true' },
})
if (migrate.status !== 0) process.exit(migrate.status ?? 1)

const dev = spawn('npx', ['wrangler', 'dev', '--ip', ip, '--port', port, ...process.argv.slice(2)], {
  stdio: ['inherit', 'pipe', 'inherit'],
  env,
})
let announced = false
dev.stdout.on('data', (chunk) => {
  process.stdout.write(chunk)
  if (!announced && /Ready on/.test(String(chunk))) {
    announced = true
    console.log(`\nBRC-33 relay listening on http://${ip}:${port}`)
    console.log(`Server identity key: ${identityKey}\n`)
  }
})
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => dev.kill(signal))
dev.on('exit', (code) => process.exit(code ?? 0))
