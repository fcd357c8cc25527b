import { KeyDeriver, PrivateKey } from '@bsv/sdk'
import { describe, expect, it } from 'vitest'
import { privateKeyFromHex, publicKeyFromHex, Point } from '../../src/crypto/brc42'
import { toHex } from '../../src/crypto/encoding'
import {
  ANYONE_IDENTITY_KEY,
  AnyonePaymentKeys,
  p2pkhScriptHex,
  serverPaymentKey,
} from '../../src/payments/brc29'

// docs/payments-and-push.md A2–A4, computed with @bsv/sdk 2.1.0: server 0x5a…, sender 0x11…, recipient 0x22….
const SERVER_PRIV = '5a'.repeat(32)
const SERVER_KEY = '029c5530e4385ebc41cdaf8257edf9a2baaf8506a4099103211e6ed7382103ed67'
const SENDER_KEY = '034f355bdcb7cc0af728ef3cceb9615d90684bb5b2ca5f859ab0f0b704075871aa'
const RECIPIENT_KEY = '02466d7fcae563e5cb09a0d1870bb580344804617879a14949cf22285f1bae3f27'
const PREFIX = 'AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE='
const SUFFIX = 'AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI='

describe('BRC-29 payment keys (vectors A3/A4)', () => {
  it('the vector keys are what the document says', () => {
    expect(Point.BASE.multiply(privateKeyFromHex(SERVER_PRIV)).toHex(true)).toBe(SERVER_KEY)
    expect(Point.BASE.multiply(privateKeyFromHex('11'.repeat(32))).toHex(true)).toBe(SENDER_KEY)
    expect(Point.BASE.multiply(privateKeyFromHex('22'.repeat(32))).toHex(true)).toBe(RECIPIENT_KEY)
    expect(Point.BASE.toHex(true)).toBe(ANYONE_IDENTITY_KEY)
  })

  it('A3: derives the delivery output key and script on the server side', async () => {
    const key = await serverPaymentKey(
      privateKeyFromHex(SERVER_PRIV),
      publicKeyFromHex(SENDER_KEY),
      PREFIX,
      SUFFIX,
    )
    expect(key.toHex(true)).toBe('02d57461e75e478c2c2f8cb84aeba122125bc3a32e74ab6ebc6bd750c7fca7f517')
    expect(p2pkhScriptHex(key)).toBe('76a914c672952c4742d24870a713e82e713105cb0bd85888ac')
  })

  it('A3: the SDK derives the same key on both sides', () => {
    const keyID = `${PREFIX} ${SUFFIX}`
    const server = new KeyDeriver(PrivateKey.fromHex(SERVER_PRIV)).derivePublicKey(
      [2, '3241645161d8'],
      keyID,
      SENDER_KEY,
      true,
    )
    const sender = new KeyDeriver(PrivateKey.fromHex('11'.repeat(32))).derivePublicKey(
      [2, '3241645161d8'],
      keyID,
      SERVER_KEY,
    )
    expect(server.toString()).toBe('02d57461e75e478c2c2f8cb84aeba122125bc3a32e74ab6ebc6bd750c7fca7f517')
    expect(sender.toString()).toBe(server.toString())
    expect(server.toAddress()).toBe('1K6J4L3yH6dukmC9VpFK2s5dh3a8x1yUyb')
  })

  it('A4: derives the recipient output key and script as the "anyone" wallet does', async () => {
    const key = await new AnyonePaymentKeys(publicKeyFromHex(RECIPIENT_KEY)).derive(PREFIX, SUFFIX)
    expect(key.toHex(true)).toBe('021b2e169eb188a3adeb7b3747753298ae3d56cb274ad9cc40c433ba17a469e77e')
    expect(p2pkhScriptHex(key)).toBe('76a914e9ffa3362b5e28e027396d5d76503dd6892912e488ac')
    const sdk = new KeyDeriver('anyone').derivePublicKey(
      [2, '3241645161d8'],
      `${PREFIX} ${SUFFIX}`,
      RECIPIENT_KEY,
    )
    expect(sdk.toString()).toBe(key.toHex(true))
    expect(sdk.toAddress()).toBe('1NLGghs2F5PDKRvgePNTmWupuZEF9R8Ygp')
  })

  it('A2: the example payment scripts follow from its prefixes and suffixes', async () => {
    const delivery = await serverPaymentKey(
      privateKeyFromHex(SERVER_PRIV),
      publicKeyFromHex(SENDER_KEY),
      'aPiBy66XRMtGao528Y2pn+zPvtejKEmpNLD5JuoKxLs=',
      'Etyhti6d5LdpnprKWMSY+S5KtL6FKUzLQLiPicqQA+U=',
    )
    expect(p2pkhScriptHex(delivery)).toBe('76a914a3046518b86009ebfde5c065e9e14ac9bfefaf3688ac')
    const recipient = await new AnyonePaymentKeys(publicKeyFromHex(RECIPIENT_KEY)).derive(
      'VcIlZajM7E7WmGm3N8n5IZ+WpEiYjW2vWXMsKFz0evU=',
      '8ONobmrGK/ntMcTPDh90WTWD2esU2/sQXiERIG0CbrM=',
    )
    expect(p2pkhScriptHex(recipient)).toBe('76a9147d0f0abd44a28dbeb1746ab432f7dd99ec0ae14888ac')
  })

  it('the server-side spending key is (serverPriv + h) mod n, the A3 derived private key', async () => {
    const sdk = new KeyDeriver(PrivateKey.fromHex(SERVER_PRIV)).derivePrivateKey(
      [2, '3241645161d8'],
      `${PREFIX} ${SUFFIX}`,
      SENDER_KEY,
    )
    expect(toHex(Uint8Array.from(sdk.toArray('be', 32)))).toBe(
      'ea27c796cb5d757f7cb1143bb7ca46995bc72a6c474009f76722e70e0498202e',
    )
  })
})
