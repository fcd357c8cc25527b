import { hasTable } from './session-store'

/**
 * One identity's live connections and the rooms (its own message boxes) each has joined, in its Mailbox's
 * SQLite: the one place a push for this identity looks up where to go. A connection registers when it
 * proves the identity (`attach`) and leaves when it closes (`detach`); one that vanished without a word is
 * found out by the next push (its object answers "gone") and removed then.
 *
 * Like the session store, the tables are created by the first write: a push to an identity that never
 * connected reads nothing and leaves nothing behind.
 */
const SCHEMA = [
  'CREATE TABLE IF NOT EXISTS live_connections (connection TEXT PRIMARY KEY, attached_at INTEGER NOT NULL) WITHOUT ROWID',
  'CREATE TABLE IF NOT EXISTS live_rooms (box TEXT NOT NULL, connection TEXT NOT NULL, PRIMARY KEY (box, connection)) WITHOUT ROWID',
]

export type JoinResult = 'joined' | 'not-attached' | 'too-many-rooms'

export class LiveRegistry {
  private ready: boolean

  constructor(private readonly sql: SqlStorage) {
    this.ready = hasTable(sql, 'live_connections')
  }

  /**
   * Registers a connection; beyond `maxConnections` the oldest others are dropped from the registry and
   * returned, for the caller to close (a crashed app's dead connections never lock its owner out).
   */
  attach(connection: string, now: number, maxConnections: number): string[] {
    this.createSchema()
    this.sql.exec(
      'INSERT INTO live_connections (connection, attached_at) VALUES (?, ?) ON CONFLICT (connection) DO NOTHING',
      connection,
      now,
    )
    const evicted = this.sql
      .exec<{ connection: string }>(
        'SELECT connection FROM live_connections WHERE connection != ? ORDER BY attached_at DESC, connection LIMIT -1 OFFSET ?',
        connection,
        maxConnections - 1,
      )
      .toArray()
      .map((row) => row.connection)
    for (const gone of evicted) this.detach(gone)
    return evicted
  }

  join(connection: string, box: string, maxRooms: number): JoinResult {
    if (!this.isAttached(connection)) return 'not-attached'
    const joined = this.sql
      .exec<{
        n: number
      }>('SELECT EXISTS (SELECT 1 FROM live_rooms WHERE box = ? AND connection = ?) AS n', box, connection)
      .one().n
    if (joined) return 'joined'
    const rooms = this.sql
      .exec<{ n: number }>('SELECT COUNT(*) AS n FROM live_rooms WHERE connection = ?', connection)
      .one().n
    if (rooms >= maxRooms) return 'too-many-rooms'
    this.sql.exec('INSERT INTO live_rooms (box, connection) VALUES (?, ?)', box, connection)
    return 'joined'
  }

  leave(connection: string, box: string): void {
    if (!this.ready) return
    this.sql.exec('DELETE FROM live_rooms WHERE box = ? AND connection = ?', box, connection)
  }

  detach(connection: string): void {
    if (!this.ready) return
    this.sql.exec('DELETE FROM live_rooms WHERE connection = ?', connection)
    this.sql.exec('DELETE FROM live_connections WHERE connection = ?', connection)
  }

  /** The connections that joined `box`. */
  connectionsIn(box: string): string[] {
    if (!this.ready) return []
    return this.sql
      .exec<{ connection: string }>('SELECT connection FROM live_rooms WHERE box = ?', box)
      .toArray()
      .map((row) => row.connection)
  }

  isEmpty(): boolean {
    if (!this.ready) return true
    return this.sql.exec<{ n: number }>('SELECT EXISTS (SELECT 1 FROM live_connections) AS n').one().n === 0
  }

  /** After the owner deleted all storage. */
  forgetSchema(): void {
    this.ready = false
  }

  private isAttached(connection: string): boolean {
    if (!this.ready) return false
    return (
      this.sql
        .exec<{
          n: number
        }>('SELECT EXISTS (SELECT 1 FROM live_connections WHERE connection = ?) AS n', connection)
        .one().n === 1
    )
  }

  private createSchema(): void {
    if (this.ready) return
    for (const statement of SCHEMA) this.sql.exec(statement)
    this.ready = true
  }
}
