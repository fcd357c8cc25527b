/**
 * The relay's Durable Objects, metered (bench only; bound as COUNTED_MAILBOX / COUNTED_LIVE in
 * wrangler.bench.toml). Each is the production class unchanged: only the state and bindings it is
 * constructed with are wrapped (metering.ts), so every call, SQL statement and alarm write is counted.
 */
import { LiveConnection } from '../../src/objects/live-connection'
import { Mailbox } from '../../src/objects/mailbox'
import { type BenchEnv, meteredEnv, meterStorage } from './metering'

export class CountedMailbox extends Mailbox {
  constructor(ctx: DurableObjectState, env: BenchEnv) {
    meterStorage(ctx)
    super(ctx, meteredEnv(env) as BenchEnv)
  }

  /** Bench only: this object's session ids (called before the metered window of `endSessions`). */
  async benchSessionIds(): Promise<string[]> {
    return this.sessions.list().map((session) => session.serverNonce)
  }

  /**
   * Bench only: ends these sessions as their expiry does (the alarm's cleanup retires each), then runs the
   * alarm once, which deletes their replay records (one pass holds 2000) and, with nothing left, the
   * object's storage.
   */
  async benchEndSessions(serverNonces: string[]): Promise<void> {
    for (const serverNonce of serverNonces) this.sessions.retire(serverNonce)
    await this.alarm()
  }

  /** Bench only: the size of this object's SQLite database (bytes). */
  async benchSqliteBytes(): Promise<number> {
    return this.ctx.storage.sql.databaseSize
  }
}

export class CountedLiveConnection extends LiveConnection {
  constructor(ctx: DurableObjectState, env: BenchEnv) {
    meterStorage(ctx)
    super(ctx, meteredEnv(env) as BenchEnv)
  }
}
