// Debian's Chromium through playwright-core, with a fresh profile and no network chatter.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { chromiumPath } from './parts.mjs'

export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  // A portal's public address in the tests (portal.gatehouse.test) is this computer: the
  // name resolves to loopback, and nothing ever leaves it.
  '--host-resolver-rules=MAP *.gatehouse.test 127.0.0.1, EXCLUDE localhost',
]

// launch returns a browser context with its own empty --user-data-dir; close() removes it.
export async function launch({ viewport = { width: 1280, height: 860 } } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'gatehouse-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
    viewport,
  })
  return {
    context,
    async close() {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    },
  }
}

// expectURL waits until the page's address matches re: the router changes it after the
// click or the first render that asked for it, not during. Fails with message after 10 s.
export async function expectURL(page, re, message = `the address matches ${re}`) {
  const deadline = Date.now() + 10_000
  while (!re.test(page.url())) {
    if (Date.now() > deadline) {
      throw new Error(`${message}: the page is at ${page.url()}`)
    }
    await new Promise((res) => setTimeout(res, 25))
  }
}
