// End to end: K real AuthFetch clients (@bsv/sdk 2.1.0, as message-box-client uses it) against the
// relay under `wrangler dev`, each doing send → list → acknowledge cycles for a fixed time.
import { AuthFetch, CompletedProtoWallet, PrivateKey, ProtoWallet, createNonce, verifyNonce } from '@bsv/sdk'
import { performance } from 'node:perf_hooks'

const REQUEST_TIMEOUT_MS = 10_000

function withTimeout(promise, what) {
  let timer
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: no verifiable response within ${REQUEST_TIMEOUT_MS} ms`)),
      REQUEST_TIMEOUT_MS,
    )
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

function newClient(origin) {
  const key = PrivateKey.fromRandom()
  const authFetch = new AuthFetch(new CompletedProtoWallet(key))
  const identityKey = key.toPublicKey().toString()
  return {
    identityKey,
    async post(path, body) {
      const res = await withTimeout(
        authFetch.fetch(origin + path, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }),
        `POST ${path}`,
      )
      const text = await res.text()
      let json
      try {
        json = JSON.parse(text)
      } catch {
        json = undefined
      }
      return { status: res.status, json }
    },
  }
}

/** One send → list → acknowledge cycle; returns per-request latencies and what the relay answered. */
async function cycle(client, seq, record) {
  const messageId = `bench-${client.identityKey.slice(2, 14)}-${seq}`
  const timed = async (path, body) => {
    const start = performance.now()
    const res = await client.post(path, body)
    record(path, performance.now() - start, res)
    return res
  }
  await timed('/sendMessage', {
    message: { recipient: client.identityKey, messageBox: 'bench', messageId, body: 'hello from the bench' },
  })
  const listed = await timed('/listMessages', { messageBox: 'bench' })
  const ids = Array.isArray(listed.json?.messages)
    ? listed.json.messages.map((m) => m.messageId).filter(Boolean)
    : []
  await timed('/acknowledgeMessage', { messageIds: ids.length ? ids : [messageId] })
}

const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]

/**
 * Runs K clients for `seconds` after one warm-up cycle each (handshake included), measuring
 * client-side latency, the load generator's own CPU and the server's CPU (`serverCpuNs`).
 */
export async function runEndToEnd({ origin, clients: k, seconds, serverCpuNs, proxyCpuNs }) {
  const clients = Array.from({ length: k }, () => newClient(origin))
  const statuses = new Map()
  let failures = 0
  let firstError
  let latencies = []
  let counting = false
  let succeeded = 0
  const record = (path, ms, res) => {
    const key = `${path} ${res.status}${res.json?.code ? ' ' + res.json.code : ''}`
    statuses.set(key, (statuses.get(key) ?? 0) + (counting ? 1 : 0))
    if (counting) latencies.push(ms)
    if (counting && res.status >= 200 && res.status < 300) succeeded++
  }

  await Promise.all(clients.map((client) => cycle(client, 0, record)))

  counting = true
  latencies = []
  const cpu0 = process.cpuUsage()
  const server0 = serverCpuNs()
  const proxy0 = proxyCpuNs()
  const start = performance.now()
  const end = start + seconds * 1000
  await Promise.all(
    clients.map(async (client) => {
      for (let seq = 1; performance.now() < end; seq++) {
        try {
          await cycle(client, seq, record)
        } catch (error) {
          failures++
          firstError ??= String(error?.message ?? error)
        }
      }
    }),
  )
  const elapsed = (performance.now() - start) / 1000
  const serverCpu = (serverCpuNs() - server0) / 1e6
  const proxyCpu = (proxyCpuNs() - proxy0) / 1e6
  const cpu = process.cpuUsage(cpu0)
  counting = false

  const sorted = [...latencies].sort((a, b) => a - b)
  const requests = sorted.length
  const routesMissing = [...statuses.keys()].some((key) => key.includes('ERR_NOT_FOUND'))
  return {
    clients: k,
    seconds: elapsed,
    requests,
    failures,
    firstError,
    rps: requests / elapsed,
    succeeded,
    successRps: succeeded / elapsed,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    clientCpuMsPerRequest: (cpu.user + cpu.system) / 1000 / Math.max(1, requests),
    serverCpuMsPerRequest: serverCpu / Math.max(1, requests),
    proxyCpuMsPerRequest: proxyCpu / Math.max(1, requests),
    statuses: Object.fromEntries([...statuses].filter(([, n]) => n > 0)),
    routesMissing,
  }
}

/**
 * What one AuthFetch request costs the client in @bsv/sdk crypto alone, in Node (median of `n`):
 * createSignature for the request, verifyNonce + verifySignature for the response, session warm.
 */
export async function clientCryptoCost(n = 40) {
  const client = new ProtoWallet(PrivateKey.fromRandom())
  const server = new ProtoWallet(PrivateKey.fromRandom())
  const clientKey = (await client.getPublicKey({ identityKey: true })).publicKey
  const serverKey = (await server.getPublicKey({ identityKey: true })).publicKey
  const sessionNonce = await createNonce(client)
  const data = Array.from(new TextEncoder().encode(JSON.stringify({ messageBox: 'bench' }).repeat(3)))
  const protocolID = [2, 'auth message signature']
  const samples = []
  for (let i = 0; i < n + 5; i++) {
    const response = await server.createSignature({
      data,
      protocolID,
      keyID: `r${i} ${sessionNonce}`,
      counterparty: clientKey,
    })
    const start = performance.now()
    await client.createSignature({ data, protocolID, keyID: `q${i} s`, counterparty: serverKey })
    await verifyNonce(sessionNonce, client)
    await client.verifySignature({
      data,
      signature: response.signature,
      protocolID,
      keyID: `r${i} ${sessionNonce}`,
      counterparty: serverKey,
    })
    if (i >= 5) samples.push(performance.now() - start)
  }
  samples.sort((a, b) => a - b)
  return samples[Math.floor(samples.length / 2)]
}
