import { env, runInDurableObject } from 'cloudflare:test'
import type { Mailbox } from '../../src/objects/mailbox'
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

/** Deletes every auth session of `identityKey`, as an expiry or a restart of the store would. */
export function dropSessions(identityKey: string): Promise<void> {
  return inMailbox(identityKey, (box) => {
    for (const s of box.sessionStore.list()) box.sessionStore.delete(s.serverNonce)
  })
}
