import { and, asc, count, desc, eq, type SQL, sql } from 'drizzle-orm'
import { permissions, type Permission } from '../../schema'
import type { Db } from './client'
import { guardStorage } from './storage-errors'
import { ALL_BOXES } from '../text'

// The stored form of "no sender": the box-wide rule (schema/permissions.ts says why it is not NULL).
const BOX_WIDE = ''

/** A permission as the routes see it: `sender` null for the owner's box-wide rule. */
export interface PermissionRule {
  sender: string | null
  messageBox: string
  recipientFee: number
  createdAt: number
  updatedAt: number
}

/** The key of one rule: its owner, box and sender (null: box-wide). */
export interface RuleKey {
  owner: string
  messageBox: string
  sender: string | null
}

/**
 * Creates or replaces one rule in a single statement on the table's key, so two concurrent writes of the
 * same key leave one row. `createdAt` is kept; `updatedAt` always moves forward (by 1 ms at least, so a
 * client can see that a second write in the same millisecond happened).
 * @throws RelayError('ERR_STORAGE_UNAVAILABLE')
 */
export async function setPermission(db: Db, key: RuleKey, recipientFee: number, now: number): Promise<void> {
  await guardStorage('set permission', () =>
    db
      .insert(permissions)
      .values({ ...key, sender: key.sender ?? BOX_WIDE, recipientFee, createdAt: now, updatedAt: now })
      .onConflictDoUpdate({
        target: [permissions.owner, permissions.messageBox, permissions.sender],
        set: {
          recipientFee,
          updatedAt: sql`max(excluded.updated_at, ${permissions.updatedAt} + 1)`,
        },
      }),
  )
}

/**
 * The exact rule for a key, or null: no fallback from a sender to the box-wide rule or the defaults.
 * @throws RelayError('ERR_STORAGE_UNAVAILABLE')
 */
export async function getPermission(db: Db, key: RuleKey): Promise<PermissionRule | null> {
  const rows = await guardStorage('get permission', () =>
    db
      .select()
      .from(permissions)
      .where(
        and(
          eq(permissions.owner, key.owner),
          eq(permissions.messageBox, key.messageBox),
          eq(permissions.sender, key.sender ?? BOX_WIDE),
        ),
      ),
  )
  return rows[0] ? toRule(rows[0]) : null
}

/** Which of an owner's rules to list. */
export interface PermissionPage {
  messageBox: string | null
  limit: number
  offset: number
  createdAtOrder: 'asc' | 'desc'
}

/**
 * One page of an owner's rules, by box, box-wide rule first, then sender; and how many match in all.
 * Both reads run at once (one round trip).
 * @throws RelayError('ERR_STORAGE_UNAVAILABLE')
 */
export async function listPermissions(
  db: Db,
  owner: string,
  page: PermissionPage,
): Promise<{ rules: PermissionRule[]; totalCount: number }> {
  const where = and(
    eq(permissions.owner, owner),
    page.messageBox === null ? undefined : eq(permissions.messageBox, page.messageBox),
  )
  const byCreated = page.createdAtOrder === 'asc' ? asc(permissions.createdAt) : desc(permissions.createdAt)
  const [rows, [total]] = await guardStorage('list permissions', () =>
    Promise.all([
      db
        .select()
        .from(permissions)
        .where(where)
        // '' sorts before every key, so the box-wide rule comes first within its box.
        .orderBy(asc(permissions.messageBox), asc(permissions.sender), byCreated)
        .limit(page.limit)
        .offset(page.offset),
      db.select({ n: count() }).from(permissions).where(where),
    ]),
  )
  return { rules: rows.map(toRule), totalCount: total?.n ?? 0 }
}

/** What an owner's rules say of one sender sending into one box. */
export interface RuleVerdict {
  /** The fee of the rule that applies, or null: no rule (the configured default applies). */
  fee: number | null
  /**
   * Whether the owner allowed this sender by name: a rule for the sender in the box or in `*` with a fee of
   * 0 or more. A sender it did not is a stranger, and strangers share part of the owner's inbox.
   */
  allowed: boolean
}

/**
 * For each owner, what its rules say of `sender` sending into `messageBox` (see `RuleVerdict`). One query
 * whatever the number of owners, each a few lookups in the table's key.
 * @throws RelayError('ERR_STORAGE_UNAVAILABLE') — a failed lookup never means "allowed".
 */
export async function ruleVerdicts(
  db: Db,
  owners: string[],
  messageBox: string,
  sender: string,
): Promise<Map<string, RuleVerdict>> {
  const rows = await guardStorage('permission lookup', () =>
    ruleVerdictsQuery(db, owners, messageBox, sender),
  )
  return new Map(rows.map((row) => [row.owner, { fee: row.fee, allowed: row.allowed === 1 }]))
}

/** The query behind `ruleVerdicts`; exported so a test can check its plan. */
export function ruleVerdictsQuery(db: Db, owners: string[], messageBox: string, sender: string) {
  // One bound parameter whatever the owner count (D1 allows 100 per statement).
  return db.all<{ owner: string; fee: number | null; allowed: 0 | 1 }>(sql`
    SELECT o.value AS owner, ${ruleFeeOf(sql`o.value`, messageBox, sender)} AS fee,
      ${allowedBy(sql`o.value`, messageBox, sender)} AS allowed
    FROM json_each(${JSON.stringify(owners)}) AS o`)
}

/**
 * The fee of `owner`'s rule for `sender` sending into `messageBox` as a scalar subquery (NULL: no rule):
 * the one definition of "which rule applies", for the lookup above and for a send's write (src/db/messages.ts).
 * Most specific first (docs/contract.md "Identities are free"): (box, sender) > (`*`, sender) > (box, everyone) >
 * (`*`, everyone). Four lookups in the table's key (owner, box, sender).
 */
export function ruleFeeOf(owner: SQL, messageBox: string, sender: string): SQL {
  return sql`(SELECT ${permissions.recipientFee} FROM ${permissions}
    WHERE ${permissions.owner} = ${owner} AND ${permissions.messageBox} IN (${messageBox}, ${ALL_BOXES})
      AND ${permissions.sender} IN (${sender}, ${BOX_WIDE})
    -- A sender's own rule sorts after '' and so comes first; then the box's own rule before the one for '*'.
    ORDER BY ${permissions.sender} DESC, ${permissions.messageBox} = ${ALL_BOXES} LIMIT 1)`
}

/**
 * Whether `owner`'s rules let `sender` into `messageBox` free (no rule, or one asking 0), as a condition on
 * one recipient's row of a send's write: a send whose box defaults ask nothing is admitted inside its write
 * (src/permissions/admission.ts `mayOweNothing`). Blocking (-1) and any fee make it false.
 */
export function freeUnderRules(owner: string, messageBox: string, sender: string): SQL {
  return sql`coalesce(${ruleFeeOf(sql`${owner}`, messageBox, sender)}, 0) = 0`
}

/**
 * Whether `owner` allowed `sender` by name for `messageBox` (see `RuleVerdict.allowed`), as a scalar
 * subquery (1 or 0), for the lookup above and for a send's write.
 */
export function allowedBy(owner: SQL, messageBox: string, sender: string): SQL {
  return sql`EXISTS (SELECT 1 FROM ${permissions}
    WHERE ${permissions.owner} = ${owner} AND ${permissions.messageBox} IN (${messageBox}, ${ALL_BOXES})
      AND ${permissions.sender} = ${sender} AND ${permissions.recipientFee} >= 0)`
}

function toRule(row: Permission): PermissionRule {
  const { sender, messageBox, recipientFee, createdAt, updatedAt } = row
  return { sender: sender === BOX_WIDE ? null : sender, messageBox, recipientFee, createdAt, updatedAt }
}
