import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto'

/** A throwaway Firebase service account: the file the relay gets, and the public key that checks it. */
export interface TestServiceAccount {
  /** The service account file as FCM_SERVICE_ACCOUNT_JSON holds it (`private_key` with `\n` escaped by JSON). */
  json: string
  projectId: string
  clientEmail: string
  privateKeyId: string | null
  /** What Google would publish for the key; the fake verifies assertions with it. */
  publicKey: KeyObject
  tokenUri: string
}

/**
 * A fresh RSA-2048 service account with a PKCS#8 PEM key, shaped like the file Google issues.
 * `privateKeyId: null` leaves `private_key_id` out (the JWT then has no `kid`).
 */
export function makeServiceAccount(
  options: { projectId?: string; privateKeyId?: string | null } = {},
): TestServiceAccount {
  const projectId = options.projectId ?? 'relay-test-project'
  const name = `relay-${randomBytes(4).toString('hex')}`
  const clientEmail = `${name}@${projectId}.iam.gserviceaccount.com`
  const privateKeyId =
    options.privateKeyId === undefined ? randomBytes(20).toString('hex') : options.privateKeyId
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const tokenUri = 'https://oauth2.googleapis.com/token'
  const file = {
    type: 'service_account',
    project_id: projectId,
    ...(privateKeyId === null ? {} : { private_key_id: privateKeyId }),
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: clientEmail,
    client_id: randomBytes(10).toString('hex'),
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: tokenUri,
    auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
    client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(clientEmail)}`,
    universe_domain: 'googleapis.com',
  }
  return { json: JSON.stringify(file), projectId, clientEmail, privateKeyId, publicKey, tokenUri }
}
