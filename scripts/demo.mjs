// `npm run demo [-- <relay URL>]`: two fresh identities talk through a running relay with the real
// @bsv/message-box-client: Alice sends Bob an (end-to-end encrypted) message, Bob lists it, reads it
// decrypted, acknowledges it, and lists again; then Bob listens live and Alice sends over the socket. It exits
// 1 at the first step that fails (so it can gate a deploy). Default relay: http://127.0.0.1:8787 (`npm run dev`).
import { CompletedProtoWallet, PrivateKey } from '@bsv/sdk'
import { MessageBoxClient } from '@bsv/message-box-client'

const host = (process.argv[2] ?? process.env.RELAY_URL ?? 'http://127.0.0.1:8787').replace(/\/+$/, '')
const messageBox = 'demo_inbox'
// AuthFetch (under the client) waits forever for a response it cannot verify: bound every step.
const STEP_TIMEOUT_MS = 20_000

let n = 0
async function step(title, run) {
  n += 1
  process.stdout.write(`${n}. ${title}\n`)
  let timer
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${STEP_TIMEOUT_MS / 1000} s`)),
      STEP_TIMEOUT_MS,
    )
  })
  try {
    return await Promise.race([run(), timeout])
  } catch (error) {
    console.error(`   ✗ ${error instanceof Error ? error.message : error}`)
    process.exit(1)
  } finally {
    clearTimeout(timer)
  }
}

/** A no-network wallet over a fresh random key, and the real client pointed at the relay. */
function newPerson() {
  const key = PrivateKey.fromRandom()
  const wallet = new CompletedProtoWallet(key)
  // networkPreset 'local': the client's optional overlay lookups go to localhost:8080 and fail fast;
  // every call below names the relay explicitly anyway.
  return {
    identityKey: key.toPublicKey().toString(),
    client: new MessageBoxClient({ host, walletClient: wallet, networkPreset: 'local' }),
  }
}

console.log(`BRC-33 relay demo against ${host}\n`)

const health = await step(`Check the relay is up (GET ${host}/health)`, async () => {
  let res
  try {
    res = await fetch(`${host}/health`, { signal: AbortSignal.timeout(5_000) })
  } catch (error) {
    throw new Error(
      `cannot reach ${host} (${error.cause?.code ?? error.message}). Start one with \`npm run dev\`, or pass its URL: npm run demo -- https://relay.example`,
    )
  }
  if (!res.ok) throw new Error(`GET /health answered ${res.status}: ${await res.text()}`)
  return res.json()
})
console.log(`   relay identity key: ${health.identityKey} (version ${health.version})\n`)

const alice = newPerson()
const bob = newPerson()
await step('Make two identities (random keys, local wallets, no network)', async () => {
  await alice.client.init()
  await bob.client.init()
})
console.log(`   Alice: ${alice.identityKey}`)
console.log(`   Bob:   ${bob.identityKey}\n`)

const text = `Hello Bob! (sent ${new Date().toISOString()})`
const sent = await step(
  `Alice sends Bob "${text}" into "${messageBox}" (POST /sendMessage, encrypted for Bob)`,
  () => alice.client.sendMessage({ recipient: bob.identityKey, messageBox, body: text }, host),
)
console.log(`   status: ${sent.status}, messageId: ${sent.messageId}\n`)

const messages = await step(`Bob lists "${messageBox}" (POST /listMessages; the client decrypts)`, () =>
  bob.client.listMessages({ messageBox, host }),
)
for (const m of messages) {
  console.log(
    `   - ${m.messageId.slice(0, 16)}… from ${m.sender === alice.identityKey ? 'Alice' : m.sender}: ${JSON.stringify(m.body)}`,
  )
}
const received = messages.find((m) => m.messageId === sent.messageId)
if (!received || received.body !== text) {
  console.error('   ✗ Bob did not receive the message Alice sent.')
  process.exit(1)
}
console.log('')

const acknowledged = await step('Bob acknowledges it (POST /acknowledgeMessage; the relay deletes it)', () =>
  bob.client.acknowledgeMessage({ messageIds: [received.messageId], host }),
)
console.log(`   ${acknowledged}\n`)

const after = await step(`Bob lists "${messageBox}" again`, () =>
  bob.client.listMessages({ messageBox, host }),
)
console.log(`   ${after.length} message(s) waiting\n`)
if (after.some((m) => m.messageId === sent.messageId)) {
  console.error('   ✗ The acknowledged message is still listed.')
  process.exit(1)
}

// Live delivery: the same message path over socket.io, pushed to Bob while he listens.
const liveText = `Hello again, live! (${new Date().toISOString()})`
let pushed
const arrived = new Promise((resolve) => (pushed = resolve))
await step(`Bob listens live on "${messageBox}" (socket.io at /socket.io/, BRC-103 inside)`, () =>
  bob.client.listenForLiveMessages({ messageBox, onMessage: pushed, overrideHost: host }),
)
const liveSent = await step(`Alice sends Bob "${liveText}" live (acknowledged once it is stored)`, () =>
  alice.client.sendLiveMessage({ recipient: bob.identityKey, messageBox, body: liveText }, host),
)
const live = await step('Bob receives it, pushed over the socket', () => arrived)
if (live.messageId !== liveSent.messageId || live.body !== liveText) {
  console.error('   ✗ Bob was pushed something other than what Alice sent live.')
  process.exit(1)
}
console.log(
  `   from ${live.sender === alice.identityKey ? 'Alice' : live.sender}: ${JSON.stringify(live.body)}\n`,
)
await step('Bob acknowledges it; both close their sockets', async () => {
  await bob.client.acknowledgeMessage({ messageIds: [live.messageId], host })
  await alice.client.disconnectWebSocket()
  await bob.client.disconnectWebSocket()
})

console.log('Done: sent, listed, decrypted and acknowledged through the relay, and delivered live.')
