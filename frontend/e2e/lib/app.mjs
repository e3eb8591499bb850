// The fixture every screen test starts with: the real Go App in the harness, the built
// frontend in Chromium, torn down after the test.
//
//   import { test } from 'node:test'
//   import { openApp } from './lib/app.mjs'
//
//   test('Users: search finds Ada', async (t) => {
//     const app = await openApp(t)            // skips/fails per CI if Chromium is missing
//     if (!app) return
//     await app.nav('Users')                  // click the left navigation
//     await app.page.getByRole('textbox').fill('ada')
//     ...
//     app.assertNoPageErrors()
//   })
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { launch } from './browser.mjs'
import { frontendBuilt, frontendDir, startHarness } from './harness.mjs'
import { chromiumHint, chromiumPath, hasExecutable, need } from './parts.mjs'

export const shotsDir = join(frontendDir, 'e2e', '.out')

export async function openApp(t, { version = 'e2e', path = '/' } = {}) {
  if (!need(t, 'Chromium', hasExecutable(chromiumPath), chromiumHint)) {
    return null
  }
  if (!frontendBuilt()) throw new Error('frontend/dist/index.html is missing: run `npm run build` in frontend/ first')

  const harness = await startHarness({ version })
  const browser = await launch()
  const page = browser.context.pages()[0] ?? (await browser.context.newPage())
  const pageErrors = []
  page.on('pageerror', (e) => pageErrors.push(e))
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(new Error(`console.error: ${m.text()} (${m.location().url})`))
  })

  t.after(async () => {
    await shot(page, t.name).catch(() => {})
    await browser.close()
    const code = await harness.stop()
    assert.equal(code, 0, `harness exited with ${code}:\n${harness.stderr()}`)
  })

  await page.goto(new URL(`#${path}`, harness.url).href)
  await page.getByTestId('nav').waitFor()

  return {
    page,
    harness,
    browser,
    pageErrors,
    // nav clicks the named entry of the left navigation and waits for its view's title.
    async nav(label) {
      await page.getByTestId('nav').getByText(label, { exact: true }).click()
      await page.getByTestId('view-title').filter({ hasText: label }).waitFor()
    },
    assertNoPageErrors() {
      assert.deepEqual(pageErrors.map(String), [], 'the page reported errors')
    },
  }
}

// shot saves a screenshot under frontend/e2e/.out/ for a person to look at.
export async function shot(page, name) {
  mkdirSync(shotsDir, { recursive: true })
  const file = join(shotsDir, `${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`)
  await page.screenshot({ path: file })
  return file
}

// themedShots keeps the screen as it is in both themes under build/bin/e2e-shots/, to look
// at: name.png in the light theme and name-dark.png, then the light theme again. The toggle
// gets its click as an event, so that a screen with a dialog open can be kept too.
export const themedShotsDir = join(frontendDir, '..', 'build', 'bin', 'e2e-shots')
export async function themedShots(page, name) {
  mkdirSync(themedShotsDir, { recursive: true })
  await page.waitForFunction(() => document.getAnimations().length === 0)
  await page.screenshot({ path: join(themedShotsDir, `${name}.png`) })
  await page.getByTestId('theme-toggle').dispatchEvent('click')
  await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark')
  await page.waitForFunction(() => document.getAnimations().length === 0)
  await page.screenshot({ path: join(themedShotsDir, `${name}-dark.png`) })
  await page.getByTestId('theme-toggle').dispatchEvent('click')
  await page.waitForFunction(() => document.documentElement.dataset.theme === 'light')
}

// The eight screens, in the navigation's order.
export const screens = ['Users', 'Approvals', 'Organisations', 'Imports', 'Invitations', 'Reports', 'Audit', 'Settings']

// eachScreenInBothThemes opens every screen in the light theme, then in the dark one, and
// calls visit once each has drawn (its first page of rows, its charts, no animation left).
export async function eachScreenInBothThemes(app, visit) {
  const { page } = app
  for (const theme of ['light', 'dark']) {
    if (theme === 'dark') {
      await page.getByTestId('theme-toggle').click()
      await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark')
    }
    for (const label of screens) {
      await app.nav(label)
      await page.waitForTimeout(300) // lists and charts draw their first page
      await page.waitForFunction(() => document.getAnimations().length === 0)
      await visit(label, theme)
    }
  }
}
