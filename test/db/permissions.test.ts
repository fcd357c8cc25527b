import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { createDb } from '../../src/db/client'
import { ruleVerdicts, ruleVerdictsQuery, setPermission } from '../../src/db/permissions'
import { randomKey } from '../helpers/messages'
import { storedRules } from '../helpers/permissions'

const db = createDb(env.DB)

describe('the permission repository', () => {
  it('ruleVerdicts: one query for every owner, sender rule over box-wide rule, null without a rule', async () => {
    const sender = randomKey()
    const [specific, boxWide, both, none, otherBox] = [
      randomKey(),
      randomKey(),
      randomKey(),
      randomKey(),
      randomKey(),
    ]
    const now = Date.now()
    await setPermission(db, { owner: specific, messageBox: 'inbox', sender }, 7, now)
    await setPermission(db, { owner: boxWide, messageBox: 'inbox', sender: null }, -1, now)
    await setPermission(db, { owner: both, messageBox: 'inbox', sender: null }, -1, now)
    await setPermission(db, { owner: both, messageBox: 'inbox', sender }, 0, now)
    await setPermission(db, { owner: otherBox, messageBox: 'elsewhere', sender: null }, 9, now)
    // A rule for another sender does not apply.
    await setPermission(db, { owner: none, messageBox: 'inbox', sender: randomKey() }, 3, now)

    const verdicts = await ruleVerdicts(db, [specific, boxWide, both, none, otherBox], 'inbox', sender)
    expect(Object.fromEntries([...verdicts].map(([owner, v]) => [owner, v.fee]))).toEqual({
      [specific]: 7,
      [boxWide]: -1,
      [both]: 0,
      [none]: null,
      [otherBox]: null,
    })
  })

  it("ruleVerdicts's plan: each owner is a search of the table's key, never a scan", async () => {
    const { sql, params } = ruleVerdictsQuery(db, [randomKey(), randomKey()], 'inbox', randomKey()).getQuery()
    const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
      .bind(...params)
      .all<{ detail: string }>()
    const plan = results.map((row) => row.detail).join('\n')
    expect(plan).toMatch(
      /SEARCH permissions USING (INDEX|PRIMARY KEY).*\(owner=\? AND message_box=\? AND sender=\?\)/,
    )
    expect(plan).not.toMatch(/SCAN permissions/)
  })

  it('setPermission: 20 concurrent writes of one box-wide key leave one row', async () => {
    const owner = randomKey()
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        setPermission(db, { owner, messageBox: 'race', sender: null }, i, Date.now()),
      ),
    )
    const rows = await storedRules(owner)
    expect(rows).toHaveLength(1)
    expect(rows[0]!.sender).toBe('')
  })
})
