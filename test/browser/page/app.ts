// The browser app under test: bundled by esbuild (bundle-page.ts) and run in Chromium, on an origin other
// than the relay's. Alice sends Bob a message with the unmodified @bsv/message-box-client; Bob lists it
// (the client decrypts it), acknowledges it and lists again. Each result is written into the page, which
// is all the test reads.
import { CompletedProtoWallet, PrivateKey } from '@bsv/sdk'
import { MessageBoxClient } from '@bsv/message-box-client'

// AuthFetch 2.1.0 hangs forever on a response it cannot verify: a step that never settles must still
// end up on the page, naming the step, rather than leaving the test to time out blind.
const STEP_TIMEOUT_MS = 20_000

const params = new URLSearchParams(location.search)

function param(name: string): string {
  const value = params.get(name)
  if (!value) throw new Error(`missing query parameter ${name}`)
  return value
}

function show(id: string, text: string): void {
  const element = document.getElementById(id)
  if (!element) throw new Error(`the page has no #${id}`)
  element.textContent = text
}

function client(host: string, privateKeyHex: string): MessageBoxClient {
  const wallet = new CompletedProtoWallet(PrivateKey.fromHex(privateKeyHex))
  // Every call below names the relay, so the client never asks the overlay where a box lives;
  // 'local' keeps even a stray lookup on localhost rather than the mainnet trackers.
  return new MessageBoxClient({ host, walletClient: wallet, networkPreset: 'local' })
}

let currentStep = 'start'

async function step<T>(name: string, work: () => Promise<T>): Promise<T> {
  currentStep = name
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`did not settle within ${STEP_TIMEOUT_MS} ms`)),
      STEP_TIMEOUT_MS,
    )
  })
  return Promise.race([work(), timeout]).finally(() => clearTimeout(timer))
}

async function run(): Promise<void> {
  const host = param('relay')
  const messageBox = param('box')
  const text = param('text')
  const alice = client(host, param('alice'))
  const bob = client(host, param('bob'))
  show('relay', host)
  show('status', 'running')

  const bobKey = await step('bob.getIdentityKey', () => bob.getIdentityKey())
  const sent = await step('alice.sendMessage', () =>
    alice.sendMessage({ recipient: bobKey, messageBox, body: text }, host),
  )
  show('sent-message-id', sent.messageId)

  const listed = await step('bob.listMessages', () => bob.listMessages({ messageBox, host }))
  show('count-before-ack', String(listed.length))
  show('received-sender', listed[0]?.sender ?? '')
  show('received-body', String(listed[0]?.body ?? ''))

  const ack = await step('bob.acknowledgeMessage', () =>
    bob.acknowledgeMessage({ messageIds: [sent.messageId], host }),
  )
  show('ack-status', ack)

  const after = await step('bob.listMessages again', () => bob.listMessages({ messageBox, host }))
  show('count-after-ack', String(after.length))
  show('status', 'done')
}

run().catch((error: unknown) => {
  show('status', `failed at ${currentStep}: ${error instanceof Error ? error.message : String(error)}`)
})
