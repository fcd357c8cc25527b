import { Hono } from 'hono'
import { getPermission, listPermissions, type PermissionRule, setPermission } from '../db/permissions'
import type { AppEnv } from '../http/context'
import { feeStatus } from '../permissions/fees'
import { quoteSend } from '../permissions/quote'
import {
  getPermissionQuery,
  listPermissionsQuery,
  quoteQuery,
  setPermissionRequest,
} from '../validation/permissions'
import { validateBody, validateQuery } from '../validation/validate'

/**
 * `/permissions/*` (docs/contract.md "Permissions and fees"): the caller's own rules, and quotes for sending as
 * the caller. No route reads or writes another identity's rules; a quote computes defaults, never stores them.
 */
export const permissionRoutes = new Hono<AppEnv>()
  .post('/permissions/set', async (c) => {
    const { messageBox, sender, recipientFee } = validateBody(c, setPermissionRequest)
    const owner = c.var.identityKey
    await setPermission(c.var.db, { owner, messageBox, sender }, recipientFee, Date.now())
    return c.json({ status: 'success', description: describeRule(messageBox, sender, recipientFee) })
  })
  .get('/permissions/get', async (c) => {
    const { messageBox, sender } = validateQuery(c, getPermissionQuery)
    const owner = c.var.identityKey
    const rule = await getPermission(c.var.db, { owner, messageBox, sender })
    const description = rule ? 'Permission found.' : 'No permission is set for this box and sender.'
    return c.json({ status: 'success', description, permission: rule && ruleBody(rule) })
  })
  .get('/permissions/list', async (c) => {
    const page = validateQuery(c, listPermissionsQuery)
    const owner = c.var.identityKey
    const { rules, totalCount } = await listPermissions(c.var.db, owner, page)
    return c.json({ status: 'success', permissions: rules.map(listedRule), totalCount })
  })
  .get('/permissions/quote', async (c) => {
    const query = validateQuery(c, quoteQuery)
    const sender = c.var.identityKey
    return c.json(await quoteSend(c.var.db, c.var.config, sender, query))
  })

/** A rule on the wire: `status` spelled out, times as ISO strings. */
function ruleBody(rule: PermissionRule) {
  return {
    sender: rule.sender,
    messageBox: rule.messageBox,
    recipientFee: rule.recipientFee,
    status: feeStatus(rule.recipientFee),
    createdAt: new Date(rule.createdAt).toISOString(),
    updatedAt: new Date(rule.updatedAt).toISOString(),
  }
}

/** A listed rule carries both spellings: message-box-client 2.1.1 reads the snake_case ones. */
function listedRule(rule: PermissionRule) {
  const body = ruleBody(rule)
  return {
    ...body,
    message_box: body.messageBox,
    recipient_fee: body.recipientFee,
    created_at: body.createdAt,
    updated_at: body.updatedAt,
  }
}

function describeRule(messageBox: string, sender: string | null, fee: number): string {
  const who = sender === null ? 'senders without a rule of their own' : sender
  const what = fee === -1 ? 'blocked' : fee === 0 ? 'always allowed' : `allowed for ${fee} satoshis`
  return `Messages from ${who} into ${JSON.stringify(messageBox)} are now ${what}.`
}
