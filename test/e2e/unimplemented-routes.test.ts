import { describe, expect, inject, it } from 'vitest'
import { newIdentity, withTimeout } from './helpers/clients'

// message-box-client methods that involve no relay route. Live delivery over socket.io, once pinned here as
// "not served yet", is served now: live-delivery.test.ts.
const host = inject('relayUrl')

describe('overlay routing (not relay routes)', () => {
  it('queryAdvertisements finds no overlay here, so resolveHostForRecipient answers the configured host', async () => {
    const alice = newIdentity('alice', host)
    expect(await withTimeout(alice.client.queryAdvertisements(), 'queryAdvertisements')).toEqual([])
    expect(await withTimeout(alice.client.resolveHostForRecipient(alice.identityKey), 'resolve')).toBe(host)
  })

  it.skip('anointHost / revokeHostAdvertisement: skipped — they broadcast to the overlay (tm_messagebox) with a funded wallet (createAction); no network, no relay route involved', () => {})
  it.skip('PeerPayClient sendPayment / acceptPayment: skipped — needs a funded wallet (createAction/internalizeAction); its payment-request whitelist is tested in permissions.test.ts', () => {})
})
