// The app shell: navigation to every screen, the status bar, and the remembered theme.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { openApp } from './lib/app.mjs'
import { expectURL } from './lib/browser.mjs'

const screens = ['Users', 'Approvals', 'Organisations', 'Imports', 'Invitations', 'Reports', 'Audit', 'Settings']

// A fresh App asks once what to start with; the shell tests answer "an empty local portal".
async function pastFirstRun(app) {
  await app.page.getByTestId('first-run-name').fill('Ann Reed')
  await app.page.getByTestId('first-run-email').fill('ann.reed@example.org')
  const empty = app.page.getByTestId('first-run-empty')
  await empty.click()
  await empty.waitFor({ state: 'detached' })
}

test('shell: every screen is reachable from the navigation', async (t) => {
  const app = await openApp(t)
  if (!app) return
  const { page } = app
  await expectURL(page, /#\/users$/, 'the app opens on Users')
  await page.getByTestId('view-title').filter({ hasText: 'Welcome to Gatehouse' }).waitFor()
  await pastFirstRun(app)
  for (const label of screens) {
    await app.nav(label)
    await expectURL(page, new RegExp(`#/${label.toLowerCase()}(/|$)`))
    assert.equal(await page.locator('[data-testid="nav"] [aria-current="page"]').textContent(), label, 'the entry is highlighted')
    assert.equal(await page.getByTestId('placeholder').count(), 0, `${label} is a real screen, not a placeholder`)
  }
  // Settings opens on its About tab.
  await expectURL(page, /#\/settings\/about$/)
  await page.locator('.n-tabs').getByText('About', { exact: true }).waitFor()
  app.assertNoPageErrors()
})

test('shell: the status bar shows the local portal, a sync and nothing pending', async (t) => {
  const app = await openApp(t)
  if (!app) return
  const { page } = app
  assert.equal(await page.getByTestId('status-mode').textContent(), 'Local portal')
  // The embedded portal is synced as soon as it starts.
  await page.waitForFunction(() => !/never/.test(document.querySelector('[data-testid="status-last-sync"]')?.textContent ?? 'never'))
  assert.equal(await page.getByTestId('status-pending').textContent(), 'Pending changes: 0')
  app.assertNoPageErrors()
})

test('shell: the dark theme is applied and remembered across a reload', async (t) => {
  const app = await openApp(t)
  if (!app) return
  const { page } = app
  const theme = () => page.evaluate(() => document.documentElement.dataset.theme)
  const bodyColour = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor)

  await page.emulateMedia({ colorScheme: 'light' })
  await page.reload()
  await page.getByTestId('nav').waitFor()
  assert.equal(await theme(), 'light')
  const light = await bodyColour()

  await page.getByTestId('theme-toggle').click()
  assert.equal(await theme(), 'dark')
  // The background fades over a few hundred milliseconds.
  await page.waitForFunction((light) => getComputedStyle(document.body).backgroundColor !== light, light)
  await page.waitForFunction(() => document.body.getAnimations().length === 0)
  const dark = await bodyColour()

  await page.reload()
  await page.getByTestId('nav').waitFor()
  assert.equal(await theme(), 'dark', 'the choice survives a reload')
  assert.equal(await bodyColour(), dark)

  await page.getByTestId('theme-toggle').click()
  assert.equal(await theme(), 'light')
  app.assertNoPageErrors()
})
