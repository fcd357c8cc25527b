import type { Env } from './env'
import { RelayError } from './errors'
import { messageBoxName, ruleBoxName } from './text'

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
  /** UTF-8 bytes of stored bodies that may wait for one recipient, across all of its boxes. */
  inboxBytesQuota: number
  /** Messages one sender may have waiting for one recipient (a share of the inbox: no lockout by one sender). */
  senderPerRecipientQuota: number
  /** Messages one sender may have waiting, all recipients together. */
  senderMessagesQuota: number
  /** Stored bytes one sender may have waiting, all recipients together. */
  senderBytesQuota: number
  /**
   * What all senders the recipient has not allowed may hold together, as a fraction of its inbox quotas
   * (messages and bytes): the rest is always there for senders it allowed.
   */
  strangerInboxShare: number
  /** Stored bytes one client network (IPv4 /24, IPv6 /48) may have waiting in the whole store. */
  networkBytesQuota: number
  /** Above this fraction of MAX_DATABASE_BYTES the store is under pressure: heavy senders pay or wait. */
  storagePressure: number
  /** Under pressure, a sender already holding more than this many bytes waiting pays PRESSURE_DELIVERY_FEE. */
  pressureSenderBytes: number
  /** Satoshis added to the delivery fee of a heavy sender's send while the store is under pressure. */
  pressureDeliveryFee: number
  /** Largest stored body, payment wrapper included (under D1's 2 MB row limit). */
  maxStoredBodyBytes: number
  /** D1's size limit; sends are refused (507) above 90 % of it. */
  maxDatabaseBytes: number
  /** Handshakes per client IP per minute; 0 = off. */
  handshakeRateLimit: number
  /** Authenticated requests per identity per minute; 0 = off. */
  requestRateLimit: number
  /** UTF-8 bytes of message bodies one /listMessages page may carry (at least one message is always listed). */
  maxListBodyBytes: number
  /** 0 means messages never expire. */
  messageTtlMs: number
  /** The server's delivery fee per box, in satoshis, charged once per send (DELIVERY_FEES). */
  deliveryFees: FeeTable
  /** A recipient's fee for a box when it has set no rule (DEFAULT_RECIPIENT_FEES); -1 blocks by default. */
  defaultRecipientFees: FeeTable
  /** Boxes whose new messages are pushed to the recipient's devices (PUSH_BOXES). */
  pushBoxes: ReadonlySet<string>
  maxDevicesPerIdentity: number
  /** A WhatsOnChain-compatible block-header API that confirms payments' merkle roots (CHAIN_TRACKER_URL). */
  chainTrackerUrl: string
  /** An ARC-compatible broadcaster that a paid send's transaction is given to before it is stored (ARC_URL). */
  arcUrl: string
  /** Live delivery (src/live/): how often the server pings a connection, and how long the client waits beyond that. */
  livePingIntervalMs: number
  livePingTimeoutMs: number
  /** A live connection that has not proven an identity (`authenticated`) within this is closed. */
  liveAuthTimeoutMs: number
  liveMaxConnectionsPerIdentity: number
  liveMaxRoomsPerConnection: number
  /** Largest socket frame or polling body (advertised as Engine.IO's maxPayload). */
  liveMaxFrameBytes: number
}

/** The largest fee a rule may ask (a signed 32-bit integer, as the reference server's column). */
export const MAX_FEE = 2_147_483_647

/** Satoshis per message box name (`*`: every box without an entry of its own). */
export type FeeTable = ReadonlyMap<string, number>

/** Where payments are checked and broadcast when wrangler.toml does not say (mainnet). */
const DEFAULT_CHAIN_TRACKER_URL = 'https://api.whatsonchain.com/v1/bsv/main'
const DEFAULT_ARC_URL = 'https://arc.gorillapool.io'

const MiB = 1024 * 1024
const GiB = 1024 * MiB

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
    inboxBytesQuota: integerVar(env, 'INBOX_BYTES_QUOTA', 100 * MiB, 1),
    senderPerRecipientQuota: integerVar(env, 'SENDER_PER_RECIPIENT_QUOTA', 1000, 1),
    senderMessagesQuota: integerVar(env, 'SENDER_MESSAGES_QUOTA', 10_000, 1),
    senderBytesQuota: integerVar(env, 'SENDER_BYTES_QUOTA', 256 * MiB, 1),
    strangerInboxShare: fractionVar(env, 'STRANGER_INBOX_SHARE', 0.5),
    networkBytesQuota: integerVar(env, 'NETWORK_BYTES_QUOTA', GiB, 1),
    storagePressure: fractionVar(env, 'STORAGE_PRESSURE', 0.7),
    pressureSenderBytes: integerVar(env, 'PRESSURE_SENDER_BYTES', 4 * MiB, 0),
    pressureDeliveryFee: integerVar(env, 'PRESSURE_DELIVERY_FEE', 100, 0, MAX_FEE),
    maxStoredBodyBytes: integerVar(env, 'MAX_STORED_BODY_BYTES', 1_900_000, 1),
    maxDatabaseBytes: integerVar(env, 'MAX_DATABASE_BYTES', 10_000_000_000, 1),
    handshakeRateLimit: integerVar(env, 'HANDSHAKE_RATE_LIMIT', 60, 0),
    requestRateLimit: integerVar(env, 'REQUEST_RATE_LIMIT', 1200, 0),
    maxListBodyBytes: integerVar(env, 'MAX_LIST_BODY_BYTES', 8 * MiB, 1),
    messageTtlMs: integerVar(env, 'MESSAGE_TTL_SECONDS', 30 * 86400, 0) * 1000,
    deliveryFees: jsonVar(env, 'DELIVERY_FEES', DEFAULT_FEES, (json) => feeTable(json, 0)),
    defaultRecipientFees: jsonVar(env, 'DEFAULT_RECIPIENT_FEES', DEFAULT_FEES, (json) => feeTable(json, -1)),
    pushBoxes: jsonVar(env, 'PUSH_BOXES', '["notifications"]', boxSet),
    maxDevicesPerIdentity: integerVar(env, 'MAX_DEVICES_PER_IDENTITY', 20, 1),
    chainTrackerUrl: urlVar(env, 'CHAIN_TRACKER_URL', DEFAULT_CHAIN_TRACKER_URL),
    arcUrl: urlVar(env, 'ARC_URL', DEFAULT_ARC_URL),
    // The client's timer is interval + timeout; Node fires a timer above 2^31-1 ms at once (docs/live-protocol.md §1.1).
    livePingIntervalMs: integerVar(env, 'LIVE_PING_INTERVAL_MS', 90_000, 1000, MAX_TIMER_MS / 2),
    livePingTimeoutMs: integerVar(env, 'LIVE_PING_TIMEOUT_MS', 20_000, 1000, MAX_TIMER_MS / 2),
    liveAuthTimeoutMs: integerVar(env, 'LIVE_AUTH_TIMEOUT_MS', 15_000, 1000),
    liveMaxConnectionsPerIdentity: integerVar(env, 'LIVE_MAX_CONNECTIONS_PER_IDENTITY', 16, 1),
    liveMaxRoomsPerConnection: integerVar(env, 'LIVE_MAX_ROOMS_PER_CONNECTION', 32, 1),
    liveMaxFrameBytes: integerVar(env, 'LIVE_MAX_FRAME_BYTES', 5 * MiB, 1024),
  }
}

const MAX_TIMER_MS = 2_147_483_647

// The contract's defaults: a notification costs the sender 10 sat to the relay and 10 sat to the recipient.
const DEFAULT_FEES = '{"notifications":10}'

type IntegerVarName =
  | 'SESSION_IDLE_TTL_SECONDS'
  | 'SESSION_MAX_AGE_SECONDS'
  | 'MAX_SESSIONS_PER_IDENTITY'
  | 'MAX_REQUESTS_PER_SESSION'
  | 'MAX_REQUEST_BODY_BYTES'
  | 'MAX_MESSAGE_BODY_BYTES'
  | 'MAX_RECIPIENTS_PER_SEND'
  | 'MAX_ACKNOWLEDGE_IDS'
  | 'INBOX_QUOTA'
  | 'INBOX_BYTES_QUOTA'
  | 'SENDER_PER_RECIPIENT_QUOTA'
  | 'SENDER_MESSAGES_QUOTA'
  | 'SENDER_BYTES_QUOTA'
  | 'MAX_STORED_BODY_BYTES'
  | 'NETWORK_BYTES_QUOTA'
  | 'PRESSURE_SENDER_BYTES'
  | 'PRESSURE_DELIVERY_FEE'
  | 'MAX_DATABASE_BYTES'
  | 'HANDSHAKE_RATE_LIMIT'
  | 'REQUEST_RATE_LIMIT'
  | 'MAX_LIST_BODY_BYTES'
  | 'MESSAGE_TTL_SECONDS'
  | 'MAX_DEVICES_PER_IDENTITY'
  | 'LIVE_PING_INTERVAL_MS'
  | 'LIVE_PING_TIMEOUT_MS'
  | 'LIVE_AUTH_TIMEOUT_MS'
  | 'LIVE_MAX_CONNECTIONS_PER_IDENTITY'
  | 'LIVE_MAX_ROOMS_PER_CONNECTION'
  | 'LIVE_MAX_FRAME_BYTES'
type JsonVarName = 'DELIVERY_FEES' | 'DEFAULT_RECIPIENT_FEES' | 'PUSH_BOXES'

function integerVar(
  env: Env,
  name: IntegerVarName,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw misconfigured(
      name,
      raw,
      max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in ${min}..${max}`,
    )
  }
  return value
}

/** A fraction in 0..1 (a decimal number). */
function fractionVar(env: Env, name: 'STRANGER_INBOX_SHARE' | 'STORAGE_PRESSURE', fallback: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!/^\s*(0|1|0?\.\d+|1\.0*)\s*$/.test(raw) || !(value >= 0 && value <= 1)) {
    throw misconfigured(name, raw, 'a number from 0 to 1')
  }
  return value
}

// JSON vars are parsed once per distinct text, not on every readConfig (routes call it several times).
const parsedJsonVars = new Map<string, unknown>()

/** A JSON var, parsed and checked by `parse` (which returns null when the value is not acceptable). */
function jsonVar<T>(env: Env, name: JsonVarName, fallback: string, parse: (json: unknown) => T | null): T {
  const raw = env[name] === undefined || env[name] === '' ? fallback : env[name]
  const key = `${name}\n${raw}`
  if (parsedJsonVars.has(key)) return parsedJsonVars.get(key) as T
  let value: T | null = null
  try {
    value = parse(JSON.parse(raw))
  } catch {
    // not JSON: reported below
  }
  if (value === null) throw misconfigured(name, raw, JSON_VAR_SHAPES[name])
  parsedJsonVars.set(key, value)
  return value
}

const JSON_VAR_SHAPES: Record<JsonVarName, string> = {
  DELIVERY_FEES: `a JSON object {"<box>" or "*": satoshis 0..${MAX_FEE}}`,
  DEFAULT_RECIPIENT_FEES: `a JSON object {"<box>" or "*": -1..${MAX_FEE}}`,
  PUSH_BOXES: 'a JSON array of message box names',
}

/** `{box: fee}` with valid box names (or `*`: every other box) and integer fees in min..MAX_FEE, or null. */
function feeTable(json: unknown, min: number): FeeTable | null {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return null
  const table = new Map<string, number>()
  for (const [box, fee] of Object.entries(json)) {
    const name = ruleBoxName(box)
    if (name === null || name !== box || !Number.isInteger(fee) || fee < min || fee > MAX_FEE) return null
    table.set(box, fee)
  }
  return table
}

/** A JSON array of valid box names, or null. */
function boxSet(json: unknown): ReadonlySet<string> | null {
  if (!Array.isArray(json)) return null
  const boxes = json.map((box) => (messageBoxName(box) === box ? (box as string) : null))
  return boxes.includes(null) ? null : new Set(boxes as string[])
}

/** An http(s) URL var, without a trailing slash. */
function urlVar(env: Env, name: 'CHAIN_TRACKER_URL' | 'ARC_URL', fallback: string): string {
  const raw = env[name] === undefined || env[name] === '' ? fallback : env[name]
  let url: URL | null = null
  try {
    url = new URL(raw)
  } catch {
    // reported below
  }
  if (url === null || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw misconfigured(name, raw, 'an http(s) URL')
  }
  return raw.replace(/\/+$/, '')
}

function misconfigured(name: string, raw: string, shape: string): RelayError {
  console.error(`relay misconfigured: ${name}=${JSON.stringify(raw).slice(0, 200)} is not ${shape}`)
  return new RelayError('ERR_SERVER_MISCONFIGURED', `The relay is misconfigured: ${name} must be ${shape}.`)
}
