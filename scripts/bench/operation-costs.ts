/**
 * The billed operations of each relay operation, counted once through the real app with metered bindings
 * (metering.ts): handshakes, sends to 1 and 10 recipients, lists of a page of 1 and of 100, acknowledgements
 * of 1 and of 100, one delivered message (send + list + ack), the later purge of a session's replay
 * records, and the bytes a message leaves in storage. Served as `/bench/costs`; run.mjs prints it.
 */
import {
  type BenchEnv,
  countDoRequest,
  type Meter,
  type MeterEntry,
  meterDelta,
  meteredEnv,
  readEntries,
  readMeter,
  resetMeter,
} from './metering'
import type { CountedMailbox } from './counted-objects'
import { BenchClient, callApp, connectedClient, deliveredMessageRequests, MESSAGE_BODY } from './real-app'
import type { WireRequest } from './signed-request'

export interface OperationCost {
  name: string
  /** Worker requests (HTTP requests into the relay). */
  requests: number
  /** Counted until the responses and the background work (`waitUntil`: the live push) were done. */
  total: Meter
  /** Every statement and call of `total`. */
  entries: MeterEntry[]
}

export interface CostReport {
  operations: OperationCost[]
  /** Later, by the Mailbox's alarm: ending a session and deleting its replay records. */
  purge: { perReplayRecord: Meter; perSession: Meter; recordsMeasured: number; entries: MeterEntry[] }
  storage: {
    messageBodyBytes: number
    /** D1 bytes per stored single-recipient message (database size over `messages` sends). */
    d1BytesPerMessage: number
    /** Mailbox SQLite bytes per authenticated request (its replay record), over the same sends. */
    doBytesPerRequest: number
    messages: number
  }
}

/** Messages sent to fill the page of 100 (also the storage measurement). */
const PAGE = 100
/** Extra requests in the longer session of the purge measurement. */
const PURGE_REQUESTS = 20

/**
 * Runs every operation once, each with fresh identities, and returns what was counted.
 * @throws Error when an operation is not answered 200, or the Mailbox's counters cannot be seen.
 */
export async function measureCosts(benchEnv: BenchEnv, serverIdentity: string): Promise<CostReport> {
  const env = meteredEnv(benchEnv)
  const operations: OperationCost[] = []
  const measure = async (name: string, requests: () => Promise<WireRequest[]>) => {
    const wires = await requests()
    const background: Promise<unknown>[] = []
    resetMeter()
    for (const wire of wires) {
      const response = await callApp(env, wire, background)
      if (response.status !== 200) {
        throw new Error(`${name}: ${response.status} ${(await response.text()).slice(0, 300)}`)
      }
    }
    await Promise.all(background)
    operations.push({ name, requests: wires.length, total: readMeter(), entries: readEntries() })
  }
  const stub = (client: BenchClient) =>
    benchEnv.COUNTED_MAILBOX.getByName(client.identityKey) as unknown as DurableObjectStub<CountedMailbox>
  /** A client with an open, already used session (its first request does one-time work). */
  const ready = async () => {
    const client = await connectedClient(env, serverIdentity)
    await callApp(env, await client.post('/listMessages', { messageBox: 'inbox' }), [])
    return client
  }
  const send = (from: BenchClient, to: BenchClient[], ids: string[]) =>
    from.post('/sendMessage', {
      message: {
        recipient: to.map((c) => c.identityKey),
        messageBox: 'inbox',
        messageId: ids,
        body: MESSAGE_BODY,
      },
    })

  // Handshakes: a new identity (its Mailbox and tables are created) and the same identity again.
  const alice = new BenchClient(serverIdentity)
  await measure('handshake-new', async () => [alice.handshakeRequest()])
  if (operations[0]!.total.doRowsWritten === 0 || operations[0]!.total.doCalls === 0) {
    throw new Error('the Mailbox counters are not visible to the bench worker: are they in one isolate?')
  }
  await measure('handshake-returning', async () => [alice.handshakeRequest()])

  // One delivered message, operation by operation (sessions open and used, as in steady traffic).
  const sender = await ready()
  const bob = await ready()
  const [sendOne, listOne, ackOne] = await deliveredMessageRequests(sender, bob, 'delivered-1', MESSAGE_BODY)
  // Steady traffic: this isolate read the database's size within the last minute (src/db/quotas.ts), so a
  // free send is written first, in one round trip. An isolate's first send (and one a minute) reads first.
  await callApp(env, await send(sender, [new BenchClient(serverIdentity)], ['warm-up']), [])
  await measure('send-1', async () => [sendOne!])
  await measure('list-1', async () => [listOne!])
  await measure('ack-1', async () => [ackOne!])
  await measure('send-10', async () => {
    const recipients = Array.from({ length: 10 }, () => new BenchClient(serverIdentity))
    return [
      await send(
        sender,
        recipients,
        recipients.map((_, i) => `ten-${i}`),
      ),
    ]
  })

  // A page of 100: sent one by one (not counted, but measured for storage), listed, acknowledged.
  const carol = await ready()
  const ids = Array.from({ length: PAGE }, (_, i) => `page-${i}`)
  const sends: WireRequest[] = []
  for (const id of ids) sends.push(await send(sender, [carol], [id]))
  const doBytesBefore = await stub(sender).benchSqliteBytes()
  const pushes: Promise<unknown>[] = []
  await callApp(env, sends[0]!, pushes)
  const d1BytesBefore = readMeter().d1SizeAfter
  for (const wire of sends.slice(1)) await callApp(env, wire, pushes)
  const d1BytesAfter = readMeter().d1SizeAfter
  await Promise.all(pushes)
  const doBytesAfter = await stub(sender).benchSqliteBytes()
  await measure('list-100', async () => [await carol.post('/listMessages', { messageBox: 'inbox' })])
  await measure('ack-100', async () => [await carol.post('/acknowledgeMessage', { messageIds: ids })])

  // The purge a session's end leaves to the alarm: a session with 1 request against one with 1 + K.
  const endSession = async (extraRequests: number) => {
    const client = await ready()
    for (let i = 0; i < extraRequests; i++) {
      await callApp(env, await client.post('/listMessages', { messageBox: 'inbox' }), [])
    }
    const sessions = await stub(client).benchSessionIds()
    resetMeter()
    await stub(client).benchEndSessions(sessions)
    countDoRequest() // the alarm invocation
    return { meter: readMeter(), entries: readEntries() }
  }
  const short = await endSession(0)
  const long = await endSession(PURGE_REQUESTS)
  const perReplayRecord = scale(meterDelta(long.meter, short.meter), 1 / PURGE_REQUESTS)
  const perSession = meterDelta(short.meter, perReplayRecord)

  return {
    operations,
    purge: { perReplayRecord, perSession, recordsMeasured: PURGE_REQUESTS, entries: long.entries },
    storage: {
      messageBodyBytes: MESSAGE_BODY.length,
      d1BytesPerMessage: (d1BytesAfter - d1BytesBefore) / (PAGE - 1),
      doBytesPerRequest: (doBytesAfter - doBytesBefore) / PAGE,
      messages: PAGE - 1,
    },
  }
}

function scale(m: Meter, factor: number): Meter {
  const out = { ...m }
  for (const key of Object.keys(out) as (keyof Meter)[]) if (key !== 'd1SizeAfter') out[key] *= factor
  return out
}
