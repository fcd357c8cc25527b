/** Where tests address the worker under test (routed to `SELF` by test/setup.ts). */
export const RELAY_ORIGIN = 'https://relay.test'

/** The identity key of the test server key (0x11 × 32), as docs/protocol.md §13.1 gives it. */
export const TEST_SERVER_IDENTITY_KEY = '034f355bdcb7cc0af728ef3cceb9615d90684bb5b2ca5f859ab0f0b704075871aa'

/** Rejects if `promise` has not settled within `ms`: AuthFetch 2.1.0 hangs on responses it cannot verify. */
export function withTimeout<T>(promise: Promise<T>, ms = 10_000, what = 'request'): Promise<T> {
  let timer: ReturnType<typeof setTimeout>
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not settle within ${ms} ms (unverifiable response?)`)),
      ms,
    )
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
