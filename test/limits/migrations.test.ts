/// <reference types="vite/client" />
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'

// How wrangler 4.86 applies migrations/*.sql (read from node_modules/wrangler/wrangler-dist/cli.js):
// - `d1 migrations apply` appends `INSERT INTO d1_migrations (name) values ('<file>');` to each file's text and
//   hands it to `executeSql` as a command;
// - with --local, `splitSqlQuery` splits it (quotes, `--` and `/* */` comments, BEGIN/CASE … END blocks kept whole)
//   and runs the statements in one batch. `readD1Migrations` (the test pool) calls the same function
//   (`unstable_splitSqlQuery`), so `env.TEST_MIGRATIONS` holds exactly those statements;
// - with --remote, wrangler does not split at all: it POSTs the whole text as `sql` to D1's /query API, which
//   splits it server-side, out of reach of any local test.
// This file applies the split statements one by one to an emptied D1 and checks the schema and the trigger, and
// checks the file shapes that public reports tie to the remote splitter.

const MIGRATION_FILES = import.meta.glob('../../migrations/*.sql', {
  query: '?raw',
  import: 'default',
  eager: true,
})

const OUR_TABLES = [
  'd1_migrations',
  'devices',
  'live_presence',
  'message_bodies',
  'messages',
  'payments',
  'permissions',
  'spent_outpoints',
]
const OUR_INDEXES = [
  'devices_identity_token_uq',
  'messages_inbox_idx',
  'messages_network_recipient_expires_idx',
  'messages_recipient_message_id_uq',
  'messages_sender_recipient_expires_idx',
  'messages_shared_body_idx',
]

async function schemaObjects(type: string): Promise<string[]> {
  const { results } = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = ? AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name",
  )
    .bind(type)
    .all<{ name: string }>()
  return results.map((r) => r.name)
}

/** Empties this file's D1 (storage is isolated per test file) of everything the migrations made. */
async function emptyDatabase() {
  await env.DB.prepare('DROP TRIGGER IF EXISTS messages_release_body').run()
  for (const table of OUR_TABLES) {
    await env.DB.prepare(`DROP TABLE IF EXISTS ${table}`).run()
  }
  expect(await schemaObjects('table')).toEqual([])
  expect(await schemaObjects('trigger')).toEqual([])
}

describe("migrations as wrangler 4.86's splitter cuts them (the --local path)", () => {
  it('split statement by statement, they apply to an empty D1 and build every table, index and the trigger', async () => {
    await emptyDatabase()
    // wrangler's initMigrationsTable, verbatim.
    await env.DB.prepare(
      `CREATE TABLE IF NOT EXISTS d1_migrations(
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		name       TEXT UNIQUE,
		applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
);`,
    ).run()
    expect(env.TEST_MIGRATIONS.map((m) => m.name)).toEqual(
      Object.keys(MIGRATION_FILES)
        .map((path) => path.split('/').pop()!)
        .sort(),
    )
    for (const migration of env.TEST_MIGRATIONS) {
      for (const statement of migration.queries) {
        await env.DB.prepare(statement).run()
      }
      await env.DB.prepare(`INSERT INTO d1_migrations (name) values ('${migration.name}');`).run()
    }
    expect(await schemaObjects('table')).toEqual(OUR_TABLES)
    expect(await schemaObjects('index')).toEqual(OUR_INDEXES)
    expect(await schemaObjects('trigger')).toEqual(['messages_release_body'])
    // The spent-coin claims are keyed by their own b-tree (one entry written per coin, no rowid table).
    const spent = await env.DB.prepare(
      "SELECT sql FROM sqlite_master WHERE name = 'spent_outpoints'",
    ).first<string>('sql')
    expect(spent).toMatch(/\)\s*WITHOUT ROWID$/)
  })

  it('the splitter keeps each trigger whole: one statement from CREATE TRIGGER to its END', () => {
    const triggers = env.TEST_MIGRATIONS.flatMap((m) => m.queries).filter((q) => /CREATE\s+TRIGGER/i.test(q))
    // 0001 creates the trigger, 0005 replaces it, 0006 creates it again on the rebuilt table.
    expect(triggers).toHaveLength(3)
    for (const trigger of triggers) expect(trigger).toMatch(/^CREATE TRIGGER [\s\S]*\bBEGIN\b[\s\S]*;\s*END$/)
  })

  it('after that apply, deleting the last message that references a body deletes the body (and not before)', async () => {
    // Runs on the schema the previous test built (tests in a file run in order, on the file's own D1).
    expect(await schemaObjects('trigger')).toEqual(['messages_release_body'])
    const { meta } = await env.DB.prepare("INSERT INTO message_bodies (body) VALUES ('shared')").run()
    const bodyId = meta.last_row_id
    const insert = env.DB.prepare(
      "INSERT INTO messages (message_id, recipient, message_box, sender, body_id, created_at, expires_at) VALUES (?, 'r', 'b', 's', ?, 0, 9)",
    )
    await env.DB.batch([insert.bind('m1', bodyId), insert.bind('m2', bodyId)])
    const bodyCount = () =>
      env.DB.prepare('SELECT count(*) AS n FROM message_bodies WHERE id = ?').bind(bodyId).first<number>('n')

    await env.DB.prepare("DELETE FROM messages WHERE message_id = 'm1'").run()
    expect(await bodyCount(), 'still referenced by m2').toBe(1)
    await env.DB.prepare("DELETE FROM messages WHERE message_id = 'm2'").run()
    expect(await bodyCount(), 'released with its last message').toBe(0)
  })

  it('the empty body 0 (single-recipient messages keep their body in their row) is never released', async () => {
    const emptyBody = () =>
      env.DB.prepare("SELECT count(*) AS n FROM message_bodies WHERE id = 0 AND body = ''").first<number>('n')
    expect(await emptyBody()).toBe(1)
    await env.DB.prepare(
      "INSERT INTO messages (message_id, recipient, message_box, sender, body_id, body_suffix, created_at, expires_at) VALUES ('inline', 'r', 'b', 's', 0, 'the body', 0, 9)",
    ).run()
    await env.DB.prepare("DELETE FROM messages WHERE message_id = 'inline'").run()
    expect(await emptyBody(), 'kept after its last message').toBe(1)
  })
})

describe('migration files and the --remote path (split server-side by D1)', () => {
  it('no file has CRLF line ends (workers-sdk#14991: the remote split mishandles CR inside trigger bodies)', () => {
    for (const [path, text] of Object.entries(MIGRATION_FILES)) expect(text.includes('\r'), path).toBe(false)
  })

  it('every CREATE TRIGGER is on one physical line (D1’s remote /query splitter cuts multi-line trigger bodies: "incomplete input")', () => {
    for (const [path, text] of Object.entries(MIGRATION_FILES)) {
      const sql = text.replace(/--[^\n]*/g, '')
      for (const trigger of sql.match(/CREATE\s+TRIGGER[\s\S]*?\bEND\s*;/gi) ?? []) {
        expect(trigger.includes('\n'), `${path}: ${trigger.slice(0, 60)}…`).toBe(false)
      }
    }
  })
})
