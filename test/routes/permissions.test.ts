import { PrivateKey } from '@bsv/sdk'
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { newClient } from '../helpers/client'
import { expectResponse, randomKey } from '../helpers/messages'
import { getOk, getWith, setOk, storedRules } from '../helpers/permissions'

const OFF_CURVE_KEY = '02' + 'f'.repeat(64)

describe('POST /permissions/set', () => {
  it('stores a sender rule and a box-wide rule for the caller; get returns each exactly', async () => {
    const owner = newClient()
    const sender = randomKey()
    expect(await setOk(owner, { messageBox: 'inbox', sender, recipientFee: 5 })).toMatchObject({
      description: expect.stringContaining('allowed for 5 satoshis'),
    })
    await setOk(owner, { messageBox: 'inbox', recipientFee: -1 })

    const specific = await getOk(owner, '/permissions/get', { messageBox: 'inbox', sender })
    expect(specific.permission).toMatchObject({
      sender,
      messageBox: 'inbox',
      recipientFee: 5,
      status: 'payment_required',
    })
    const boxWide = await getOk(owner, '/permissions/get', { messageBox: 'inbox' })
    expect(boxWide.permission).toMatchObject({
      sender: null,
      messageBox: 'inbox',
      recipientFee: -1,
      status: 'blocked',
    })
    expect(Date.parse(boxWide.permission.createdAt)).toBeGreaterThan(0)
  })

  it('an upsert: the same key twice is one row, createdAt kept, updatedAt advanced, fee replaced (box-wide too)', async () => {
    const owner = newClient()
    const sender = randomKey()
    for (const key of [{ sender }, {}] as Record<string, string>[]) {
      await setOk(owner, { messageBox: 'inbox', ...key, recipientFee: 1 })
      const first = (await getOk(owner, '/permissions/get', { messageBox: 'inbox', ...key })).permission
      await setOk(owner, { messageBox: 'inbox', ...key, recipientFee: 0 })
      const second = (await getOk(owner, '/permissions/get', { messageBox: 'inbox', ...key })).permission
      expect(second.createdAt).toBe(first.createdAt)
      expect(Date.parse(second.updatedAt)).toBeGreaterThan(Date.parse(first.updatedAt))
      expect(second.recipientFee).toBe(0)
    }
    const rows = await storedRules(owner.identityKey)
    expect(rows.map((r) => [r.sender, r.recipient_fee])).toEqual([
      ['', 0],
      [sender, 0],
    ])
  })

  it('concurrent box-wide upserts of one key leave exactly one row', async () => {
    const owner = newClient()
    await setOk(owner, { messageBox: 'warmup', recipientFee: 0 }) // one handshake before the burst
    const fees = [1, 2, 3, 4, 5, 6, 7, 8]
    const answers = await Promise.all(
      fees.map((recipientFee) => owner.post('/permissions/set', { messageBox: 'race', recipientFee })),
    )
    expect(answers.map((r) => r.status)).toEqual(fees.map(() => 200))
    const rows = (await storedRules(owner.identityKey)).filter((r) => r.message_box === 'race')
    expect(rows).toHaveLength(1)
    expect(fees).toContain(rows[0]!.recipient_fee)
  })

  it('a sender given as an uncompressed key is stored under its canonical compressed form', async () => {
    const owner = newClient()
    const key = PrivateKey.fromRandom().toPublicKey()
    await setOk(owner, { messageBox: 'inbox', sender: key.encode(false, 'hex'), recipientFee: 3 })
    const found = await getOk(owner, '/permissions/get', { messageBox: 'inbox', sender: key.toString() })
    expect(found.permission).toMatchObject({ sender: key.toString(), recipientFee: 3 })
  })

  const cases: [string, unknown, string][] = [
    ['messageBox missing', { recipientFee: 0 }, 'ERR_INVALID_REQUEST'],
    ['recipientFee missing', { messageBox: 'inbox' }, 'ERR_INVALID_REQUEST'],
    ['recipientFee a string', { messageBox: 'inbox', recipientFee: '5' }, 'ERR_INVALID_REQUEST'],
    ['body not an object', [1, 2], 'ERR_INVALID_REQUEST'],
    ['recipientFee -5', { messageBox: 'inbox', recipientFee: -5 }, 'ERR_INVALID_FEE_VALUE'],
    ['recipientFee 1.5', { messageBox: 'inbox', recipientFee: 1.5 }, 'ERR_INVALID_FEE_VALUE'],
    ['recipientFee 2^31', { messageBox: 'inbox', recipientFee: 2 ** 31 }, 'ERR_INVALID_FEE_VALUE'],
    ['sender not a key', { messageBox: 'inbox', recipientFee: 0, sender: 'bob' }, 'ERR_INVALID_PUBLIC_KEY'],
    [
      'sender off the curve',
      { messageBox: 'inbox', recipientFee: 0, sender: OFF_CURVE_KEY },
      'ERR_INVALID_PUBLIC_KEY',
    ],
    ['messageBox blank', { messageBox: '  ', recipientFee: 0 }, 'ERR_INVALID_MESSAGE_BOX'],
    ['messageBox a number', { messageBox: 7, recipientFee: 0 }, 'ERR_INVALID_MESSAGE_BOX'],
    ['messageBox of 129 bytes', { messageBox: 'b'.repeat(129), recipientFee: 0 }, 'ERR_INVALID_MESSAGE_BOX'],
    [
      'messageBox with a control character',
      { messageBox: 'in\u0001box', recipientFee: 0 },
      'ERR_INVALID_MESSAGE_BOX',
    ],
  ]
  for (const [name, body, code] of cases) {
    it(`400 ${code}: ${name}, and nothing is stored`, async () => {
      const owner = newClient()
      await expectResponse(await owner.post('/permissions/set', body), 400, code)
      expect(await storedRules(owner.identityKey)).toEqual([])
    })
  }

  it('accepts the fee bounds -1 and 2^31-1', async () => {
    const owner = newClient()
    await setOk(owner, { messageBox: 'low', recipientFee: -1 })
    await setOk(owner, { messageBox: 'high', recipientFee: 2 ** 31 - 1 })
    expect((await storedRules(owner.identityKey)).map((r) => r.recipient_fee)).toEqual([2 ** 31 - 1, -1])
  })

  it('400 ERR_INVALID_JSON on a body that is not JSON', async () => {
    const owner = newClient()
    const res = await owner.fetch('/permissions/set', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"messageBox":',
    })
    await expectResponse(res, 400, 'ERR_INVALID_JSON')
  })
})

describe('GET /permissions/get', () => {
  it('is the exact row for the key, with no fallback to the box-wide rule; null when unset', async () => {
    const owner = newClient()
    await setOk(owner, { messageBox: 'inbox', recipientFee: -1 })
    const unset = await getOk(owner, '/permissions/get', { messageBox: 'inbox', sender: randomKey() })
    expect(unset.permission).toBeNull()
    expect(unset.description).toEqual(expect.any(String))
    expect((await getOk(owner, '/permissions/get', { messageBox: 'other' })).permission).toBeNull()
  })

  it("ignores the client's recipient parameter: the caller is always the owner", async () => {
    const [alice, bob] = [newClient(), newClient()]
    await setOk(bob, { messageBox: 'inbox', recipientFee: 7 })
    const asked = await getOk(alice, '/permissions/get', { recipient: bob.identityKey, messageBox: 'inbox' })
    expect(asked.permission).toBeNull()
  })

  it('400 ERR_MISSING_PARAMETERS without messageBox; ERR_INVALID_PUBLIC_KEY for a bad sender; ERR_INVALID_MESSAGE_BOX', async () => {
    const owner = newClient()
    await expectResponse(await getWith(owner, '/permissions/get', {}), 400, 'ERR_MISSING_PARAMETERS')
    await expectResponse(
      await getWith(owner, '/permissions/get', { messageBox: '' }),
      400,
      'ERR_MISSING_PARAMETERS',
    )
    await expectResponse(
      await getWith(owner, '/permissions/get', { messageBox: 'inbox', sender: 'nobody' }),
      400,
      'ERR_INVALID_PUBLIC_KEY',
    )
    await expectResponse(
      await getWith(owner, '/permissions/get', { messageBox: 'x\u0000' }),
      400,
      'ERR_INVALID_MESSAGE_BOX',
    )
  })
})

describe('GET /permissions/list', () => {
  async function ownerWithRules() {
    const owner = newClient()
    const [s1, s2] = [randomKey(), randomKey()].sort()
    await setOk(owner, { messageBox: 'b-box', sender: s2, recipientFee: 2 })
    await setOk(owner, { messageBox: 'b-box', sender: s1, recipientFee: 1 })
    await setOk(owner, { messageBox: 'b-box', recipientFee: -1 })
    await setOk(owner, { messageBox: 'a-box', recipientFee: 0 })
    return { owner, s1: s1!, s2: s2! }
  }

  it('orders by box, box-wide rule first, then sender; counts every match; carries both spellings', async () => {
    const { owner, s1, s2 } = await ownerWithRules()
    const listed = await getOk(owner, '/permissions/list', {})
    expect(listed.totalCount).toBe(4)
    expect(listed.permissions.map((p: any) => [p.messageBox, p.sender, p.recipientFee])).toEqual([
      ['a-box', null, 0],
      ['b-box', null, -1],
      ['b-box', s1, 1],
      ['b-box', s2, 2],
    ])
    const row = listed.permissions[2]
    expect(row).toEqual({
      sender: s1,
      messageBox: 'b-box',
      recipientFee: 1,
      status: 'payment_required',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      message_box: 'b-box',
      recipient_fee: 1,
      created_at: row.createdAt,
      updated_at: row.updatedAt,
    })
  })

  it('filters by messageBox or message_box, pages with limit and offset, totalCount stays the full count', async () => {
    const { owner, s1, s2 } = await ownerWithRules()
    for (const key of ['messageBox', 'message_box']) {
      const page = await getOk(owner, '/permissions/list', { [key]: 'b-box', limit: '2', offset: '1' })
      expect(page.totalCount).toBe(3)
      expect(page.permissions.map((p: any) => p.sender)).toEqual([s1, s2])
    }
    const beyond = await getOk(owner, '/permissions/list', { offset: '10' })
    expect(beyond).toMatchObject({ permissions: [], totalCount: 4 })
  })

  it('defaults to 100 rows a page', async () => {
    const owner = newClient()
    // 101 rules written straight into D1 (101 signed requests would only slow the test down).
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 101)
       INSERT INTO permissions (owner, message_box, sender, recipient_fee, created_at, updated_at)
       SELECT ?1, 'box-' || i, '', 0, ?2, ?2 FROM n`,
    )
      .bind(owner.identityKey, Date.now())
      .run()
    const page = await getOk(owner, '/permissions/list', {})
    expect(page.permissions).toHaveLength(100)
    expect(page.totalCount).toBe(101)
  })

  it("lists only the caller's own rules", async () => {
    const [alice, bob] = [newClient(), newClient()]
    await setOk(bob, { messageBox: 'inbox', recipientFee: 3 })
    expect(await getOk(alice, '/permissions/list', {})).toMatchObject({ permissions: [], totalCount: 0 })
  })

  it('accepts createdAtOrder asc and desc', async () => {
    const { owner } = await ownerWithRules()
    for (const order of ['asc', 'desc']) {
      const page = await getOk(owner, '/permissions/list', { createdAtOrder: order })
      expect(page.permissions).toHaveLength(4)
    }
  })

  const bad: [Record<string, string>, string][] = [
    [{ limit: '0' }, 'ERR_INVALID_LIMIT'],
    [{ limit: '1001' }, 'ERR_INVALID_LIMIT'],
    [{ limit: 'ten' }, 'ERR_INVALID_LIMIT'],
    [{ offset: '-1' }, 'ERR_INVALID_OFFSET'],
    [{ offset: '1.5' }, 'ERR_INVALID_OFFSET'],
    [{ createdAtOrder: 'sideways' }, 'ERR_INVALID_REQUEST'],
    [{ message_box: '\u0007' }, 'ERR_INVALID_MESSAGE_BOX'],
  ]
  for (const [query, code] of bad) {
    it(`400 ${code} for ${JSON.stringify(query)}`, async () => {
      await expectResponse(await getWith(newClient(), '/permissions/list', query), 400, code)
    })
  }
})

describe('isolation', () => {
  it("no identity can read, change or delete another identity's rules", async () => {
    const [alice, mallory] = [newClient(), newClient()]
    await setOk(alice, { messageBox: 'inbox', recipientFee: 4 })
    const before = await storedRules(alice.identityKey)
    // Mallory's writes and reads touch only her own rows, whatever she names.
    await setOk(mallory, { messageBox: 'inbox', recipientFee: -1, sender: alice.identityKey })
    await setOk(mallory, { messageBox: 'inbox', recipientFee: 0 })
    const read = await getOk(mallory, '/permissions/get', {
      recipient: alice.identityKey,
      messageBox: 'inbox',
    })
    expect(read.permission.recipientFee).toBe(0)
    expect(await storedRules(alice.identityKey)).toEqual(before)
    expect((await storedRules(mallory.identityKey)).map((r) => r.sender)).toEqual(['', alice.identityKey])
  })
})
