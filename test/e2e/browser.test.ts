import { PrivateKey } from '@bsv/sdk'
import type { Browser, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest'
import pkg from '../../package.json'
import { bundlePage, type BuiltPage } from '../browser/bundle-page'
import { findChromium, launchChromium, NO_CHROMIUM_REASON } from '../browser/chromium'
import { recordPageErrors } from '../browser/page-errors'
import { recordPreflights } from '../browser/preflights'
import { saveScreenshot } from '../browser/screenshots'
import { serveDirectory, type StaticServer } from '../browser/static-server'
import { boxName } from './helpers/clients'

// A browser app end to end: the real @bsv/message-box-client bundled for the browser, served from another
// origin than the relay (`wrangler dev`, global-setup.ts), in headless Chromium. The tests read only what
// the pages show, and save a screenshot of each page (.ci/reports in CI).
const relayUrl = inject('relayUrl')
const relayIdentityKey = inject('relayIdentityKey')
const chromiumPath = findChromium()
if (!chromiumPath) console.warn(`[browser] ${NO_CHROMIUM_REASON}`)

// Each test takes about 2 s here; the cap leaves room for the app page's five authenticated steps (each
// capped at 20 s inside the page) on a loaded two-core machine.
const BROWSER_TEST_TIMEOUT_MS = 120_000

describe.skipIf(!chromiumPath)(
  `in headless Chromium${chromiumPath ? '' : ` (${NO_CHROMIUM_REASON})`}`,
  () => {
    let builtPage: BuiltPage, server: StaticServer, browser: Browser
    let openTab: Page | undefined, errors: string[]

    beforeAll(async () => {
      builtPage = await bundlePage()
      server = await serveDirectory(builtPage.dir)
      browser = await launchChromium(chromiumPath!)
    })
    afterAll(async () => {
      await browser?.close()
      await server?.close()
      builtPage?.remove()
    })
    afterEach(async () => {
      await openTab?.close()
    })

    async function newTab(): Promise<Page> {
      const tab = await browser.newPage()
      openTab = tab
      errors = recordPageErrors(tab)
      return tab
    }

    /** Every element with an id, mapped to the text it shows. */
    function shownText(tab: Page): Promise<Record<string, string>> {
      return tab.evaluate(() =>
        Object.fromEntries(Array.from(document.querySelectorAll('[id]'), (e) => [e.id, e.textContent ?? ''])),
      )
    }

    it(
      'an app on another origin sends, lists (decrypted) and acknowledges a message through the relay',
      async () => {
        const alice = PrivateKey.fromRandom()
        const bob = PrivateKey.fromRandom()
        const text = 'hello Bob, from a browser ✓'
        const query = new URLSearchParams({
          relay: relayUrl,
          alice: alice.toHex(),
          bob: bob.toHex(),
          box: boxName('browser'),
          text,
        })
        expect(server.origin).not.toBe(new URL(relayUrl).origin)

        const tab = await newTab()
        const preflights = await recordPreflights(tab)
        await tab.goto(`${server.origin}/?${query}`)
        await tab.waitForFunction(
          () => !['loading', 'running'].includes(document.getElementById('status')?.textContent ?? ''),
          undefined,
          { timeout: BROWSER_TEST_TIMEOUT_MS - 20_000 },
        )
        await saveScreenshot(tab, 'app')

        const shown = await shownText(tab)
        expect(shown).toMatchObject({
          status: 'done',
          relay: relayUrl,
          'count-before-ack': '1',
          'received-sender': alice.toPublicKey().toString(),
          'received-body': text,
          'ack-status': 'success',
          'count-after-ack': '0',
        })
        expect(shown['sent-message-id']).toMatch(/^[0-9a-f]{64}$/)
        expect(errors).toEqual([])
        // Cross-origin POSTs with JSON and x-bsv-auth-* headers: Chromium asks the relay first, and the
        // relay's answers (and its exposed headers) are what let the client read and verify each response.
        expect(preflights).toEqual(
          expect.arrayContaining(
            ['sendMessage', 'listMessages', 'acknowledgeMessage'].map(
              (path) => `OPTIONS ${relayUrl}/${path} 204`,
            ),
          ),
        )
      },
      BROWSER_TEST_TIMEOUT_MS,
    )

    it(
      "GET / shows the relay's identity key, version and push state",
      async () => {
        const tab = await newTab()
        const response = await tab.goto(`${relayUrl}/`)
        await saveScreenshot(tab, 'landing')
        expect(response?.status(), await response?.text()).toBe(200)
        expect(await tab.title()).toBe('BRC-33 message relay')
        expect(await shownText(tab)).toMatchObject({
          'identity-key': relayIdentityKey,
          version: pkg.version,
          // global-setup.ts gives the shared relay a (fake) FCM account, so push is on.
          push: 'on',
        })
        expect(errors).toEqual([])
      },
      BROWSER_TEST_TIMEOUT_MS,
    )

    it(
      'GET /docs shows the API reference with every operation',
      async () => {
        const tab = await newTab()
        const response = await tab.goto(`${relayUrl}/docs`)
        await saveScreenshot(tab, 'docs')
        expect(response?.status(), await response?.text()).toBe(200)
        expect(await tab.title()).toContain('API reference')
        // Whitespace folded: the method and the path may sit in separate elements.
        const text = (await tab.locator('body').innerText()).replace(/\s+/g, ' ')
        for (const operation of ['POST /sendMessage', 'POST /listMessages', 'POST /acknowledgeMessage']) {
          expect(text).toContain(operation)
        }
        expect(errors).toEqual([])
      },
      BROWSER_TEST_TIMEOUT_MS,
    )
  },
)
