import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const PAGE_SOURCE = fileURLToPath(new URL('./page', import.meta.url))

/** The browser app, built into a temporary directory ready to serve; `remove()` deletes it. */
export interface BuiltPage {
  dir: string
  remove(): void
}

/**
 * Bundles page/app.ts (the real @bsv/message-box-client and @bsv/sdk, as an app would ship them) for
 * the browser and puts it beside page/index.html. Built at test time so no build output is committed.
 */
export async function bundlePage(): Promise<BuiltPage> {
  const dir = mkdtempSync(join(tmpdir(), 'relay-browser-page-'))
  try {
    await build({
      entryPoints: [join(PAGE_SOURCE, 'app.ts')],
      outfile: join(dir, 'app.js'),
      bundle: true,
      platform: 'browser',
      format: 'esm',
      target: 'chrome120',
      sourcemap: 'inline',
      logLevel: 'warning',
    })
    copyFileSync(join(PAGE_SOURCE, 'index.html'), join(dir, 'index.html'))
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}
