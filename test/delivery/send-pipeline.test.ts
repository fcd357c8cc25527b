import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import type { Config } from '../../src/config'
import { createDb } from '../../src/db/client'
import { setPermission } from '../../src/db/permissions'
import { runSend } from '../../src/delivery/send-pipeline'
import { RelayError } from '../../src/errors'
import { fillBox, randomKey, storedFor } from '../helpers/messages'
import { callsOf, recordingD1 } from '../helpers/recording-d1'
import { sendRequest, sendScope } from '../helpers/send-scope'

/**
 * One send through the pipeline as the send route runs it (real D1, the test worker's configuration with
 * `overrides`), from `sender` on a network of its own so the network quota stays out of what a test counts.
 */
async function send(
  recipients: { recipient: string; messageId: string | null }[],
  options: { sender?: string; body?: string; overrides?: Partial<Config>; d1?: D1Database } = {},
) {
  const scope = await sendScope({ overrides: options.overrides, d1: options.d1 })
  const background: Promise<unknown>[] = []
  const from = { sender: options.sender ?? randomKey(), network: crypto.randomUUID() }
  const results = await runSend(scope, sendRequest(recipients, options.body), from, (w) => background.push(w))
  await Promise.all(background)
  return results
}

/** The D1 calls a send made on messages, permissions and quotas (the live-presence lookup left out). */
function storageCalls(recording: ReturnType<typeof recordingD1>['recording']) {
  return callsOf({
    ...recording,
    statements: recording.statements.filter((s) => !/live_presence/.test(s.sql)),
  })
}

describe('the send pipeline (runSend, real D1)', () => {
  describe('concurrent sends', () => {
    it('concurrent identical sends store one copy; the others come back as duplicates', async () => {
      const [sender, recipient] = [randomKey(), randomKey()]
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          send([{ recipient, messageId: 'idem' }], { sender, body: `try ${i}` }),
        ),
      )
      expect(results.filter(([r]) => !r!.duplicate)).toHaveLength(1)
      expect(await storedFor(recipient)).toHaveLength(1)
    })

    it('concurrent sends of one id by different senders: exactly one is stored, the rest are ERR_DUPLICATE_MESSAGE', async () => {
      const recipient = randomKey()
      const outcomes = await Promise.allSettled(
        Array.from({ length: 6 }, () => send([{ recipient, messageId: 'contested' }])),
      )
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1)
      for (const o of outcomes) {
        if (o.status === 'rejected') expect((o.reason as RelayError).code).toBe('ERR_DUPLICATE_MESSAGE')
      }
      expect(await storedFor(recipient)).toHaveLength(1)
    })

    it('the inbox quota holds under concurrent sends: one slot left, one of six stores', async () => {
      const recipient = randomKey()
      await fillBox(recipient, 'inbox', 4)
      const outcomes = await Promise.allSettled(
        Array.from({ length: 6 }, (_, i) =>
          send([{ recipient, messageId: `q${i}` }], { overrides: { inboxQuota: 5 } }),
        ),
      )
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1)
      for (const o of outcomes) {
        if (o.status === 'rejected') expect((o.reason as RelayError).code).toBe('ERR_INBOX_QUOTA_EXCEEDED')
      }
      expect(await storedFor(recipient)).toHaveLength(5)
    })

    it('the sender quotas hold under concurrent sends: one slot left for the sender, one of six stores', async () => {
      const sender = randomKey()
      // The sender already has 4 messages waiting (for four recipients), of a total of 5.
      for (let i = 0; i < 4; i++) await send([{ recipient: randomKey(), messageId: `w${i}` }], { sender })
      const outcomes = await Promise.allSettled(
        Array.from({ length: 6 }, (_, i) =>
          send([{ recipient: randomKey(), messageId: `s${i}` }], {
            sender,
            overrides: { senderMessagesQuota: 5 },
          }),
        ),
      )
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1)
      for (const o of outcomes) {
        if (o.status === 'rejected') expect((o.reason as RelayError).code).toBe('ERR_SENDER_QUOTA_EXCEEDED')
      }
      const n = await env.DB.prepare('SELECT count(*) AS n FROM messages WHERE sender = ?')
        .bind(sender)
        .first<number>('n')
      expect(n).toBe(5)
    })
  })

  describe('round trips (a free send is written before anything is read)', () => {
    it('a free send is one D1 call, its write, with nothing read before it', async () => {
      // One ordinary send first, so this isolate has a recent size report (no usage read needed).
      await send([{ recipient: randomKey(), messageId: 'warm-up' }])
      const { db: counted, recording } = recordingD1(env.DB)
      const recipient = randomKey()
      const results = await send([{ recipient, messageId: 'counted' }], { d1: counted })
      expect(results).toEqual([{ recipient, messageId: 'counted', duplicate: false }])
      expect(storageCalls(recording)).toEqual([{ kind: 'batch', rowsWritten: 5 }])
    })

    it('a repeat is refused by its write, then found by the reads: duplicate, nothing written', async () => {
      const [sender, recipient] = [randomKey(), randomKey()]
      await send([{ recipient, messageId: 'again' }], { sender })
      const { db: counted, recording } = recordingD1(env.DB)
      const results = await send([{ recipient, messageId: 'again' }], { sender, d1: counted })
      expect(results).toEqual([{ recipient, messageId: 'again', duplicate: true }])
      const calls = storageCalls(recording)
      expect(calls[0]).toEqual({ kind: 'batch', rowsWritten: 0, failed: true })
      expect(calls.length, 'the reads after the refused write').toBeGreaterThan(1)
      expect(calls.reduce((sum, c) => sum + c.rowsWritten, 0)).toBe(0)
      expect(await storedFor(recipient)).toHaveLength(1)
    })

    it('a send its recipient blocks is refused by its write, then by the admission: 403 ERR_DELIVERY_BLOCKED, nothing written', async () => {
      const recipient = randomKey()
      await setPermission(
        createDb(env.DB),
        { owner: recipient, messageBox: 'inbox', sender: null },
        -1,
        Date.now(),
      )
      const { db: counted, recording } = recordingD1(env.DB)
      const attempt = send([{ recipient, messageId: 'blocked' }], { d1: counted })
      await expect(attempt).rejects.toMatchObject({ code: 'ERR_DELIVERY_BLOCKED', status: 403 })
      const calls = storageCalls(recording)
      expect(calls[0]).toEqual({ kind: 'batch', rowsWritten: 0, failed: true })
      expect(calls.reduce((sum, c) => sum + c.rowsWritten, 0)).toBe(0)
      expect(await storedFor(recipient)).toEqual([])
    })
  })
})
