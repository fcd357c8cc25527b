import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'

let screenshotDir: string | undefined

/**
 * Where screenshots go: `$VITEST_REPORT_DIR` (.ci/run sets it to .ci/reports, kept as CI artifacts), else a
 * new temporary directory, made on first use.
 */
function dir(): string {
  if (!screenshotDir) {
    const reportDir = process.env.VITEST_REPORT_DIR
    if (reportDir) mkdirSync(reportDir, { recursive: true })
    screenshotDir = reportDir ?? mkdtempSync(join(tmpdir(), 'relay-browser-screenshots-'))
    console.log(`[browser] screenshots in ${screenshotDir}`)
  }
  return screenshotDir
}

/** Saves a full-page PNG of `page` as `browser-<name>.png` and returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  const path = join(dir(), `browser-${name}.png`)
  await page.screenshot({ path, fullPage: true })
  return path
}
