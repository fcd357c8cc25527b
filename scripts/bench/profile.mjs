// `npm run bench -- --profile[=CASE]`: a V8 CPU profile of one bench-worker batch (default
// ours-general-small), through workerd's inspector, printed as self time per function.
import { createRequire } from 'node:module'

// `ws` ships with wrangler (Node 20 has no WebSocket client without a flag).
const WebSocket = createRequire(import.meta.url)('ws')

/** Self time by function over one profiled `/bench/run` of `name` (batch `n`), highest first. */
export async function profileCase({ origin, inspectorPort, name, n }) {
  const post = async (path) => {
    const res = await fetch(origin + path, { method: 'POST', signal: AbortSignal.timeout(120_000) })
    const json = await res.json()
    if (!res.ok || json.error) throw new Error(`${path}: ${JSON.stringify(json)}`)
    return json
  }
  for (let i = 0; i < 3; i++) {
    await post(`/bench/prepare?case=${name}&n=50`)
    await post(`/bench/run?case=${name}`)
  }
  const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()
  const target = targets.find((t) => t.webSocketDebuggerUrl)
  if (!target) throw new Error('no inspector target')
  const ws = new WebSocket(target.webSocketDebuggerUrl)
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  let lastId = 0
  const waiting = new Map()
  ws.on('message', (data) => {
    const message = JSON.parse(String(data))
    waiting.get(message.id)?.(message)
    waiting.delete(message.id)
  })
  const call = (method, params = {}) =>
    new Promise((resolve) => {
      const id = ++lastId
      waiting.set(id, resolve)
      ws.send(JSON.stringify({ id, method, params }))
    })
  try {
    await call('Profiler.enable')
    await call('Profiler.setSamplingInterval', { interval: 50 })
    await post(`/bench/prepare?case=${name}&n=${n}`)
    await call('Profiler.start')
    await post(`/bench/run?case=${name}`)
    const { result } = await call('Profiler.stop')
    return selfTimes(result.profile)
  } finally {
    ws.close()
  }
}

function selfTimes(profile) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]))
  const self = new Map()
  let total = 0
  for (const id of profile.samples) {
    const frame = nodes.get(id).callFrame
    if (frame.functionName === '(idle)') continue
    const file = (frame.url || '').split('/').pop()
    const key = file
      ? `${frame.functionName || '(anonymous)'} (${file}:${frame.lineNumber + 1})`
      : frame.functionName
    self.set(key, (self.get(key) ?? 0) + 1)
    total++
  }
  return [...self].sort((a, b) => b[1] - a[1]).map(([fn, samples]) => ({ fn, share: samples / total }))
}
