import { sql } from 'drizzle-orm'
import { type NewPayment, payments, spentOutpoints } from '../../schema'
import type { Db } from './client'
import { guardStorage, isUniqueViolation } from './storage-errors'

/**
 * What a paid send claims, in the same batch as its messages: its transaction (the `payments` row, with the
 * relay's delivery output when one was owed) and every coin the transaction spends. Either key taken means
 * the payment already paid for something: the batch fails and nothing of the send is stored.
 */
export interface PaymentClaim {
  payment: NewPayment
  /** `<txid>.<vout>` of each input of the transaction. */
  spends: string[]
}

/** Whether the transaction or one of its coins was claimed by an earlier accepted payment. */
export type ClaimConflict = { kind: 'replayed' } | { kind: 'double-spent'; outpoint: string } | null

/**
 * Looks up a claim's keys before anything leaves the relay (a payment already claimed here is refused, never
 * broadcast): one query over both primary keys. The write's constraints still decide a race.
 * @throws RelayError('ERR_STORAGE_UNAVAILABLE')
 */
export async function findClaimConflict(db: Db, claim: PaymentClaim): Promise<ClaimConflict> {
  const rows = await guardStorage('read payment claims', () =>
    db.all<{ kind: 'tx' | 'coin'; id: string }>(sql`
      SELECT 'tx' AS kind, txid AS id FROM payments WHERE txid = ${claim.payment.txid}
      UNION ALL
      SELECT 'coin', outpoint FROM spent_outpoints
      WHERE outpoint IN (SELECT value FROM json_each(${JSON.stringify(claim.spends)}))
      LIMIT 2`),
  )
  if (rows.some((row) => row.kind === 'tx')) return { kind: 'replayed' }
  const coin = rows.find((row) => row.kind === 'coin')
  return coin ? { kind: 'double-spent', outpoint: coin.id } : null
}

/**
 * The claim's statements for a send's batch: the transaction's row, then its coins, bound as one JSON array
 * (a transaction may spend more coins than D1's 100 bound parameters per statement allow one by one).
 */
export function claimStatements(db: Db, claim: PaymentClaim) {
  return [
    db.insert(payments).values(claim.payment),
    db
      .insert(spentOutpoints)
      .select(sql`SELECT value, ${claim.payment.txid} FROM json_each(${JSON.stringify(claim.spends)})`),
  ] as const
}

/** Which of a claim's keys a failed batch broke (D1's constraint error names it), or null: not a claim's. */
export function brokenClaimKey(error: unknown): 'replayed' | 'double-spent' | null {
  if (isUniqueViolation(error, 'payments.txid')) return 'replayed'
  if (isUniqueViolation(error, 'spent_outpoints.outpoint')) return 'double-spent'
  return null
}
