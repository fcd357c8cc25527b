import { withTimeout } from './relay'

/**
 * Calls a control route of one of the fakes of the relay's outside services (test/fakes/): JSON in, JSON
 * out, under a timeout, failing with the fake's own answer. Plain `fetch`, so workerd tests and the e2e
 * suite in Node both use it.
 */
export async function controlFake<T>(
  fake: { name: string; url: string },
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const what = `${fake.name} ${method} ${path}`
  const res = await withTimeout(
    fetch(fake.url + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
    10_000,
    what,
  )
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status} ${await res.text()}`)
  return (await res.json()) as T
}
