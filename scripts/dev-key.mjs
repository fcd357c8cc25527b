// Makes sure .dev.vars holds a SERVER_PRIVATE_KEY for local development, generating one if not.
// Prints the key's identity (public key). Never used for production: there, `wrangler secret put`.
//   node scripts/dev-key.mjs         ensure .dev.vars has a key; print its identity key
//   node scripts/dev-key.mjs --new   print a NEW random key on stdout (its identity key on stderr),
//                                    writing nothing: `node scripts/dev-key.mjs --new | npx wrangler secret put SERVER_PRIVATE_KEY`
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { PrivateKey } from '@bsv/sdk'
import { secp256k1 } from '@noble/curves/secp256k1.js'

/** A random valid secp256k1 private key, 64 lowercase hex characters. */
export function newPrivateKeyHex() {
  return Buffer.from(secp256k1.utils.randomSecretKey()).toString('hex')
}

/** Whether `hex` is 64 hex characters of a valid secp256k1 private key. */
export function isPrivateKeyHex(hex) {
  return /^[0-9a-fA-F]{64}$/.test(hex) && secp256k1.utils.isValidSecretKey(Buffer.from(hex, 'hex'))
}

/**
 * Returns the dev key in `path`, creating or completing the file if it has none.
 * @throws Error when the file sets SERVER_PRIVATE_KEY to something that is not a valid key (it is
 * left alone, never overwritten).
 */
export function ensureDevKey(path = '.dev.vars') {
  const text = existsSync(path) ? readFileSync(path, 'utf8') : ''
  const line = /^\s*SERVER_PRIVATE_KEY\s*=\s*"?([^"\s]*)"?\s*$/m.exec(text)
  if (line) {
    const value = line[1] ?? ''
    if (isPrivateKeyHex(value)) {
      return { privateKey: value, created: false }
    }
    throw new Error(
      `${path} sets SERVER_PRIVATE_KEY, but not to 64 hex characters of a valid key: fix or delete that line.`,
    )
  }
  const privateKey = newPrivateKeyHex()
  const entry = `SERVER_PRIVATE_KEY="${privateKey}"\n`
  writeFileSync(path, text && !text.endsWith('\n') ? `${text}\n${entry}` : text + entry, { mode: 0o600 })
  return { privateKey, created: true }
}

/** The identity key (compressed public key hex) of a private key hex. */
export function identityKeyOf(privateKey) {
  return new PrivateKey(privateKey, 16).toPublicKey().toString()
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--new')) {
    const privateKey = newPrivateKeyHex()
    console.error(
      `identity key: ${identityKeyOf(privateKey)}  (the private key below is the relay's identity: keep it safe)`,
    )
    console.log(privateKey)
  } else {
    const { privateKey, created } = ensureDevKey()
    console.log(
      `${created ? 'created' : 'using'} .dev.vars SERVER_PRIVATE_KEY, identity ${identityKeyOf(privateKey)}`,
    )
  }
}
