import type { Page } from 'playwright-core'

// Chromium asks every page's origin for /favicon.ico on its own; the relay has no icon and answers 401
// like any unknown path. That is the browser's habit, not the page's failure.
const FAVICON = /\/favicon\.ico$/

/**
 * Starts recording everything on `page` that means something went wrong: uncaught exceptions, console
 * errors (the client logs its failures there, the browser logs refused and blocked requests) and requests
 * that never got an answer (a CORS failure shows up as one). Returns a live list of one line per problem.
 */
export function recordPageErrors(page: Page): string[] {
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`))
  page.on('console', (message) => {
    const { url } = message.location()
    if (message.type() === 'error' && !FAVICON.test(url))
      errors.push(`console.error: ${message.text()} (${url})`)
  })
  page.on('requestfailed', (request) =>
    errors.push(`request failed: ${request.method()} ${request.url()}: ${request.failure()?.errorText}`),
  )
  return errors
}
