// The cast of a journey test: oidc-provider as the identity provider, the real portal
// server, desktops (harnesses with the real App, each its own computer) and browsers (each
// its own person), all on 127.0.0.1 and all stopped after the test.
//
//   const j = await startJourney(t, 'pantry')      // null when Chromium is missing (CI unset)
//   const desk = await j.desktop()                 // a harness; UseEmbedded already called
//   const portal = await j.portal({ extraArgs })   // gatehouse-server trusting j.issuer
//   const page = await j.browser()                 // a fresh Chromium; a screenshot at the end
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { shot } from './app.mjs'
import { launch } from './browser.mjs'
import { frontendBuilt, frontendDir, startHarness } from './harness.mjs'
import { chromiumHint, chromiumPath, hasExecutable, need } from './parts.mjs'
import { startPortal, startProvider } from './portal.mjs'

export async function startJourney(t, name) {
  if (!need(t, 'Chromium', hasExecutable(chromiumPath), chromiumHint)) return null
  if (!need(t, 'oidc-provider', existsSync(join(frontendDir, 'node_modules', 'oidc-provider', 'package.json')), 'run npm ci in frontend/')) return null
  if (!frontendBuilt()) throw new Error('frontend/dist/index.html is missing: run `npm run build` in frontend/ first')

  const dir = mkdtempSync(join(tmpdir(), `gatehouse-${name}-e2e-`))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const issuer = await startProvider(t, dir)
  const desktops = []
  const browsers = []
  t.after(async () => {
    for (const [i, b] of browsers.entries()) {
      for (const p of b.context.pages()) await shot(p, `${t.name}-${i}`).catch(() => {})
      await b.close()
    }
    for (const h of desktops) {
      const code = await h.stop()
      assert.equal(code, 0, `harness exited with ${code}:\n${h.stderr()}`)
    }
  })
  return {
    dir,
    issuer,
    // desktop starts a computer with Gatehouse (in-memory keychain), past the first run.
    async desktop() {
      const h = await startHarness({ version: 'e2e', extraArgs: ['-keychain', 'memory'] })
      desktops.push(h)
      await h.call('app.ConnectionService.UseEmbedded')
      return h
    },
    portal: (opts) => startPortal(t, dir, issuer, opts),
    // browser opens a person's own browser and returns its first page.
    async browser() {
      const b = await launch()
      browsers.push(b)
      return b.context.pages()[0] ?? (await b.context.newPage())
    },
  }
}
