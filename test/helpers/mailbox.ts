import { env, runInDurableObject } from 'cloudflare:test'
import type { Mailbox } from '../../src/objects/mailbox'
import type { SessionStore } from '../../src/objects/session-store'
import { mailbox } from '../../src/objects/stubs'

/** Runs `fn` inside the real Mailbox Durable Object of `identityKey`, with its storage at hand. */
export function inMailbox<R>(
  identityKey: string,
  fn: (box: Mailbox, state: DurableObjectState) => R | Promise<R>,
): Promise<R> {
  return runInDurableObject(
    mailbox(env, identityKey),
    fn as (box: unknown, state: DurableObjectState) => R | Promise<R>,
  )
}

/** The Mailbox's session store, for tests that look inside it or drive expiry with their own clock. */
export function sessionsOf(box: Mailbox): SessionStore {
  return (box as unknown as { sessions: SessionStore }).sessions
}

/** Ends every auth session of `identityKey`, as an expiry or a restart of the store would. */
export function dropSessions(identityKey: string): Promise<void> {
  return inMailbox(identityKey, (box) => {
    const sessions = sessionsOf(box)
    for (const s of sessions.list()) sessions.retire(s.serverNonce)
  })
}
