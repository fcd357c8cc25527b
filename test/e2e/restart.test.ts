import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { boxName, newIdentity, withTimeout, type Identity } from './helpers/clients'
import {
  createRelayState,
  removeRelayState,
  startRelay,
  type RelayProcess,
  type RelayState,
} from './helpers/wrangler-dev'

// Its own `wrangler dev` (not the shared one): stopped and started again over the same --persist-to.
describe('messages survive a restart of wrangler dev on the same state', () => {
  let state: RelayState
  let relay: RelayProcess | undefined
  let alice: Identity, bob: Identity
  const messageBox = boxName('durable-box')

  beforeAll(async () => {
    state = createRelayState()
    relay = await startRelay(state)
    alice = newIdentity('alice', relay.url)
    bob = newIdentity('bob', relay.url)
  })
  afterAll(async () => {
    await relay?.stop()
    removeRelayState(state)
  })

  it('lists (decrypted) and acknowledges after the restart what was sent before it', async () => {
    const host = relay!.url
    const ids: string[] = []
    for (const body of ['before restart 1', 'before restart 2', 'before restart 3']) {
      ids.push(
        (
          await withTimeout(
            alice.client.sendMessage({ recipient: bob.identityKey, messageBox, body }, host),
            'send',
          )
        ).messageId,
      )
    }
    // Acknowledged before the restart: must stay gone after it.
    await withTimeout(bob.client.acknowledgeMessage({ messageIds: [ids[0]!], host }), 'ack before')

    await relay!.stop()
    relay = await startRelay(state, { port: relay!.port })
    expect(relay.url).toBe(host)

    // The same client instances (their BRC-104 sessions were made before the restart) …
    const listed = await withTimeout(bob.client.listMessages({ messageBox, host }), 'list after restart')
    expect(listed.map((m) => [m.messageId, m.sender, m.body])).toEqual([
      [ids[1], alice.identityKey, 'before restart 2'],
      [ids[2], alice.identityKey, 'before restart 3'],
    ])
    // … and a brand-new client for the same identity see the same box.
    const { MessageBoxClient } = await import('@bsv/message-box-client')
    const bobAgain = new MessageBoxClient({ host, walletClient: bob.wallet, networkPreset: 'local' })
    const listedAgain = await withTimeout(bobAgain.listMessages({ messageBox, host }), 'fresh client list')
    expect(listedAgain.map((m) => m.body)).toEqual(['before restart 2', 'before restart 3'])

    await withTimeout(bob.client.acknowledgeMessage({ messageIds: [ids[1]!, ids[2]!], host }), 'ack after')
    expect(await withTimeout(bob.client.listMessages({ messageBox, host }), 'list')).toEqual([])
    // Sending still works after the restart, from the pre-restart client.
    await withTimeout(
      alice.client.sendMessage({ recipient: bob.identityKey, messageBox, body: 'after restart' }, host),
      'send after',
    )
    const last = await withTimeout(bob.client.listMessages({ messageBox, host }), 'list')
    expect(last.map((m) => m.body)).toEqual(['after restart'])
  })
})
