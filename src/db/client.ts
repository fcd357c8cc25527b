import { drizzle } from 'drizzle-orm/d1'
import * as schema from '../../schema'

/** The relay's Drizzle handle over D1; snake_case columns, camelCase keys (one naming convention for every table). */
export function createDb(d1: D1Database) {
  return drizzle(d1, { schema, casing: 'snake_case' })
}

/** What every repository function takes first. */
export type Db = ReturnType<typeof createDb>
