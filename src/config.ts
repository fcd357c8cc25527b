import type { Env } from './env'
import { RelayError } from './errors'

/** Limits and lifetimes, validated and typed. Defaults are the contract's. */
export interface Config {
  sessionIdleTtlMs: number
  sessionMaxAgeMs: number
  maxSessionsPerIdentity: number
  maxRequestsPerSession: number
  maxRequestBodyBytes: number
  maxMessageBodyBytes: number
  maxRecipientsPerSend: number
  maxAcknowledgeIds: number
  inboxQuota: number
  /** UTF-8 bytes of message bodies one /listMessages page may carry (at least one message is always listed). */
  maxListBodyBytes: number
  /** 0 means messages never expire. */
  messageTtlMs: number
}

const MiB = 1024 * 1024

/**
 * Reads the relay's configuration from wrangler vars.
 * @throws RelayError('ERR_SERVER_MISCONFIGURED') naming the first var that is not a valid integer.
 */
export function readConfig(env: Env): Config {
  return {
    sessionIdleTtlMs: integerVar(env, 'SESSION_IDLE_TTL_SECONDS', 3600, 1) * 1000,
    sessionMaxAgeMs: integerVar(env, 'SESSION_MAX_AGE_SECONDS', 86400, 1) * 1000,
    maxSessionsPerIdentity: integerVar(env, 'MAX_SESSIONS_PER_IDENTITY', 64, 1),
    maxRequestsPerSession: integerVar(env, 'MAX_REQUESTS_PER_SESSION', 100_000, 1),
    maxRequestBodyBytes: integerVar(env, 'MAX_REQUEST_BODY_BYTES', 2 * MiB, 1),
    maxMessageBodyBytes: integerVar(env, 'MAX_MESSAGE_BODY_BYTES', MiB, 1),
    maxRecipientsPerSend: integerVar(env, 'MAX_RECIPIENTS_PER_SEND', 100, 1),
    maxAcknowledgeIds: integerVar(env, 'MAX_ACKNOWLEDGE_IDS', 1000, 1),
    inboxQuota: integerVar(env, 'INBOX_QUOTA', 10_000, 1),
    maxListBodyBytes: integerVar(env, 'MAX_LIST_BODY_BYTES', 8 * MiB, 1),
    messageTtlMs: integerVar(env, 'MESSAGE_TTL_SECONDS', 30 * 86400, 0) * 1000,
  }
}

type IntegerVarName = Exclude<keyof Env, 'DB' | 'MAILBOX' | 'SERVER_PRIVATE_KEY'>

function integerVar(env: Env, name: IntegerVarName, fallback: number, min: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isSafeInteger(value) || value < min) {
    console.error(`relay misconfigured: ${name}=${JSON.stringify(raw)} is not an integer >= ${min}`)
    throw new RelayError(
      'ERR_SERVER_MISCONFIGURED',
      `The relay is misconfigured: ${name} must be an integer >= ${min}.`,
    )
  }
  return value
}
