// Makes sure .dev.vars holds a SERVER_PRIVATE_KEY for local development, generating one if not.
// Prints the key's identity (public key). Never used for production: there, `wrangler secret put`.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { PrivateKey } from '@bsv/sdk'

const CURVE_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n

/** Returns the dev key in `path`, creating or completing the file if it has none. */
export function ensureDevKey(path = '.dev.vars') {
  const text = existsSync(path) ? readFileSync(path, 'utf8') : ''
  const existing = /^SERVER_PRIVATE_KEY\s*=\s*"?([0-9a-fA-F]{64})"?\s*$/m.exec(text)?.[1]
  if (existing) return { privateKey: existing, created: false }
  let privateKey
  do privateKey = randomBytes(32).toString('hex')
  while (BigInt('0x' + privateKey) === 0n || BigInt('0x' + privateKey) >= CURVE_ORDER)
  const line = `SERVER_PRIVATE_KEY="${privateKey}"\n`
  writeFileSync(path, text && !text.endsWith('\n') ? `${text}\n${line}` : text + line, { mode: 0o600 })
  return { privateKey, created: true }
}

/** The identity key (compressed public key hex) of a private key hex. */
export function identityKeyOf(privateKey) {
  return new PrivateKey(privateKey, 16).toPublicKey().toString()
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { privateKey, created } = ensureDevKey()
  console.log(`${created ? 'created' : 'using'} .dev.vars SERVER_PRIVATE_KEY, identity ${identityKeyOf(privateKey)}`)
}
