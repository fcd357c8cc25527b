import { env } from 'cloudflare:test'
import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { readConfig } from '../../src/config'
import { createDb } from '../../src/db/client'
import { freeUnderRules, setPermission } from '../../src/db/permissions'
import { lookupCharges, mayOweNothing } from '../../src/permissions/admission'
import { randomKey } from '../helpers/messages'

const db = createDb(env.DB)

describe('the admission of a free send as a condition inside its write', () => {
  it('is the same decision as the admission that reads first, rule by rule (sender rule over box-wide, else free)', async () => {
    const config = readConfig(env)
    const sender = randomKey()
    const owners = {
      noRule: randomKey(),
      boxWideBlock: randomKey(),
      boxWideBlockSenderAllowed: randomKey(),
      senderFee: randomKey(),
      boxWideFee: randomKey(),
      otherSenderBlocked: randomKey(),
      otherBoxBlocked: randomKey(),
    }
    const now = Date.now()
    await setPermission(db, { owner: owners.boxWideBlock, messageBox: 'inbox', sender: null }, -1, now)
    await setPermission(
      db,
      { owner: owners.boxWideBlockSenderAllowed, messageBox: 'inbox', sender: null },
      -1,
      now,
    )
    await setPermission(db, { owner: owners.boxWideBlockSenderAllowed, messageBox: 'inbox', sender }, 0, now)
    await setPermission(db, { owner: owners.senderFee, messageBox: 'inbox', sender }, 5, now)
    await setPermission(db, { owner: owners.boxWideFee, messageBox: 'inbox', sender: null }, 9, now)
    await setPermission(
      db,
      { owner: owners.otherSenderBlocked, messageBox: 'inbox', sender: randomKey() },
      -1,
      now,
    )
    await setPermission(db, { owner: owners.otherBoxBlocked, messageBox: 'elsewhere', sender: null }, -1, now)

    expect(mayOweNothing(config, 'inbox')).toBe(true)
    const inWrite: Record<string, boolean> = {}
    const readFirst: Record<string, boolean> = {}
    for (const [name, owner] of Object.entries(owners)) {
      const row = await db.get<{ ok: number }>(sql`SELECT ${freeUnderRules(owner, 'inbox', sender)} AS ok`)
      inWrite[name] = row.ok === 1
      const charges = await lookupCharges(db, config, sender, 'inbox', [{ key: owner }])
      readFirst[name] = charges.total === 0 && charges.blocked.length === 0
    }
    expect(inWrite).toEqual({
      noRule: true,
      boxWideBlock: false,
      boxWideBlockSenderAllowed: true,
      senderFee: false,
      boxWideFee: false,
      otherSenderBlocked: true,
      otherBoxBlocked: true,
    })
    expect(inWrite).toEqual(readFirst)
  })

  it("is not offered where the box's defaults ask a fee or block: such sends read first", () => {
    const withDefaults = readConfig({
      ...env,
      DELIVERY_FEES: JSON.stringify({ paid: 10 }),
      DEFAULT_RECIPIENT_FEES: JSON.stringify({ closed: -1, tipped: 3 }),
    })
    expect(mayOweNothing(withDefaults, 'paid')).toBe(false)
    expect(mayOweNothing(withDefaults, 'closed')).toBe(false)
    expect(mayOweNothing(withDefaults, 'tipped')).toBe(false)
    expect(mayOweNothing(withDefaults, 'inbox')).toBe(true)
  })
})
