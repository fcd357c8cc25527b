import { DurableObject } from 'cloudflare:workers'
import { readConfig } from '../config'
import { createDb } from '../db/client'
import { deleteAcknowledged } from '../db/messages'
import type { Env } from '../env'
import { type ClaimResult, type SessionLimits, SessionStore } from './session-store'

/**
 * One per identity key: that identity's BRC-104 sessions and consumed request nonces, and the place
 * where its message acknowledgements are serialized. Called through typed RPC methods only.
 */
export class Mailbox extends DurableObject<Env> {
  private readonly sessions: SessionStore
  /** The tail of this identity's acknowledgement queue: each one starts when the previous has settled. */
  private acknowledging: Promise<unknown> = Promise.resolve()

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    this.sessions = new SessionStore(ctx.storage.sql)
  }

  /**
   * Stores a session opened by a handshake (before the handshake is answered) and schedules its cleanup.
   * The identity is passed explicitly: a DO cannot read back the name it was addressed by.
   */
  async openSession(identityKey: string, serverNonce: string, clientNonce: string): Promise<void> {
    const limits = this.sessionLimits()
    this.sessions.open({ serverNonce, identityKey, clientNonce }, Date.now(), limits)
    await this.scheduleCleanup(limits)
  }

  /**
   * Claims a request nonce in a session after its signature verified, before any handler runs.
   * Returns the session's client nonce (needed to sign the response), or why the request must be refused.
   */
  async claimRequest(identityKey: string, serverNonce: string, requestNonce: string): Promise<ClaimResult> {
    return this.sessions.claim(serverNonce, identityKey, requestNonce, Date.now(), this.sessionLimits())
  }

  /**
   * Deletes `recipient`'s messages with these ids (this DO's own identity, passed explicitly) and returns how
   * many were waiting. Runs one at a time per identity: D1 calls are I/O, during which a Durable Object
   * takes other requests, so an explicit queue is what gives two devices acknowledging at once one
   * consistent answer (the first gets the count, the second 0).
   * @throws when D1 fails (logged here, with its cause; the route does not log it again); nothing is
   *   reported as acknowledged then.
   */
  async acknowledge(recipient: string, messageIds: string[]): Promise<number> {
    const run = this.acknowledging.then(() =>
      deleteAcknowledged(createDb(this.env.DB), recipient, messageIds, Date.now()),
    )
    this.acknowledging = run.catch(() => undefined)
    return run
  }

  /** Alarm: drops expired sessions and their replay records, then re-arms for the next expiry. */
  async alarm(): Promise<void> {
    const limits = this.sessionLimits()
    this.sessions.purgeExpired(Date.now(), limits)
    await this.scheduleCleanup(limits)
  }

  private async scheduleCleanup(limits: SessionLimits): Promise<void> {
    const next = this.sessions.nextExpiry(limits)
    if (next === null) return
    const current = await this.ctx.storage.getAlarm()
    if (current === null || current > next) await this.ctx.storage.setAlarm(next)
  }

  /** The session store, for tests that drive expiry with their own clock (`runInDurableObject`). */
  get sessionStore(): SessionStore {
    return this.sessions
  }

  sessionLimits(): SessionLimits {
    const config = readConfig(this.env)
    return {
      idleTtlMs: config.sessionIdleTtlMs,
      maxAgeMs: config.sessionMaxAgeMs,
      maxSessions: config.maxSessionsPerIdentity,
      maxRequestsPerSession: config.maxRequestsPerSession,
    }
  }
}

/** Stub for the Mailbox of `identityKey`; the only place that names the binding. */
export function mailbox(env: Pick<Env, 'MAILBOX'>, identityKey: string): DurableObjectStub<Mailbox> {
  return env.MAILBOX.getByName(identityKey)
}
