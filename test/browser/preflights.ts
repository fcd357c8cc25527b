import type { Page } from 'playwright-core'

/**
 * Starts recording the CORS preflights Chromium sends from `page` and how they were answered, one
 * `OPTIONS <url> <status>` each. Playwright's own request events leave preflights out, so this listens on
 * the DevTools protocol, where Chromium reports each preflight's response with type `Preflight`.
 */
export async function recordPreflights(page: Page): Promise<string[]> {
  const preflights: string[] = []
  const session = await page.context().newCDPSession(page)
  session.on('Network.responseReceived', (event) => {
    if (event.type === 'Preflight') preflights.push(`OPTIONS ${event.response.url} ${event.response.status}`)
  })
  await session.send('Network.enable')
  return preflights
}
