import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'

/** Where Debian's `chromium` package puts its launcher. */
export const DEBIAN_CHROMIUM = '/usr/bin/chromium'

/**
 * The Chromium to drive: `$CHROMIUM_PATH` if set, else Debian's. Nothing downloads a browser at run time
 * here, so when neither exists the browser tests skip (and say why) rather than fail.
 */
export function findChromium(): string | undefined {
  const candidates = [process.env.CHROMIUM_PATH, DEBIAN_CHROMIUM]
  return candidates.find((path): path is string => !!path && existsSync(path))
}

/** Why the browser tests skip when `findChromium()` finds nothing; part of the test names. */
export const NO_CHROMIUM_REASON = `skipped: no Chromium at $CHROMIUM_PATH or ${DEBIAN_CHROMIUM}; apt-get install chromium`

// The network here is closed: Chromium's own background traffic (component updates, sync, QUIC probes)
// has its connections refused and can stall the browser, so it is all switched off. No sandbox because
// CI runs as root, where Chromium's sandbox refuses to start; the pages it loads are our own.
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** Headless Chromium at `executablePath`, with a fresh empty profile (Playwright makes one per launch). */
export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({ executablePath, headless: true, args: FLAGS, timeout: 60_000 })
}
