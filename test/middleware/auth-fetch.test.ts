import { describe, expect, it } from 'vitest'
import { newClient } from '../helpers/client'

describe('BRC-104 with the real AuthFetch', () => {
  it('handshakes then POSTs JSON', async () => {
    const alice = newClient()
    const res = await alice.post('/nowhere', { hello: 'world' })
    expect(res.status).toBe(404)
    expect(await res.json()).toMatchObject({ status: 'error', code: 'ERR_NOT_FOUND' })
  })
})
