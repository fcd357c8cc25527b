import type { Env } from '../env'

// Stubs for the Durable Objects, the only place that names their bindings. Typed through the generated Env
// (src/worker-configuration.d.ts), so a caller needs neither class: nothing that calls an object imports it.

/** The Mailbox of `identityKey`: its sessions, acknowledgements, request budget and live registry. */
export function mailbox(env: Pick<Env, 'MAILBOX'>, identityKey: string) {
  return env.MAILBOX.getByName(identityKey)
}

/** The object of the live connection whose Engine.IO session is `sid`. */
export function liveConnection(env: Pick<Env, 'LIVE'>, sid: string) {
  return env.LIVE.getByName(sid)
}
