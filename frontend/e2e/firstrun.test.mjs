// The first-run screen of a new installation, against the real App: demo data, an empty
// local portal, and a server address that is checked before anything is saved.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { themedShots } from './lib/app.mjs'
import { openDemo } from './lib/demo.mjs'

test('first run: "Load demo data" fills the local portal and opens the screens', async (t) => {
  const app = await openDemo(t, { demo: false, path: '/users' })
  if (!app) return
  const { page } = app
  app.expectFailedCall('SaveLocalAdmin') // asked to, without a name first
  const first = page.getByTestId('first-run')
  await first.waitFor()
  assert.equal((await app.call('FirstRunState')).needsSetup, true)
  await app.shot('first-run')

  // A server address that is not one is explained, and nothing is saved.
  await page.getByTestId('first-run-url').fill('portal dot example')
  await page.getByTestId('first-run-connect').click()
  await first.getByText('is not a web address', { exact: false }).waitFor()
  assert.equal((await app.call('FirstRunState')).needsSetup, true)

  // Who is starting: asked once, since the local portal has no sign-in.
  await page.getByTestId('first-run-demo').click()
  await first.getByText('Enter your name', { exact: false }).waitFor()
  assert.equal((await app.call('FirstRunState')).needsSetup, true, 'nothing happens without a name')
  await page.getByTestId('first-run-name').fill('Ann Reed')
  await page.getByTestId('first-run-email').fill('ann.reed@example.org')
  await themedShots(page, 'first-run-who')
  await page.getByTestId('first-run-demo').click()
  await first.waitFor({ state: 'detached', timeout: 60_000 })
  await page.getByTestId('view-title').filter({ hasText: 'Users' }).waitFor()
  await app.nav('Approvals')
  await page.getByTestId('tab-queue').filter({ hasText: 'Waiting for approval (6)' }).waitFor()
  const state = await app.call('FirstRunState')
  assert.equal(state.needsSetup, false)
  assert.equal(state.demoLoaded, true)
  // The status bar says where the data lives, and who works on it.
  assert.equal(await page.getByTestId('status-mode').textContent(), 'Local portal')
  await page.getByText('Ann Reed (local administrator)').waitFor()
  app.assertNoPageErrors()
})

test('first run: "Use an empty local portal" starts with nobody', async (t) => {
  const app = await openDemo(t, { demo: false })
  if (!app) return
  const { page } = app
  // The other screens stay reachable before the choice (Settings, for the database path).
  await page.getByTestId('first-run').waitFor()
  await app.nav('Settings')
  await page.getByTestId('nav').getByText('Users', { exact: true }).click()
  await page.getByTestId('first-run-name').fill('Ann Reed')
  await page.getByTestId('first-run-email').fill('ann.reed@example.org')
  await page.getByTestId('first-run-empty').click()
  await page.getByTestId('first-run').waitFor({ state: 'detached' })
  await page.getByTestId('view-title').filter({ hasText: 'Users' }).waitFor()
  assert.equal((await app.call('FirstRunState')).needsSetup, false)
  // Reloading does not ask again.
  await page.reload()
  await page.getByTestId('view-title').filter({ hasText: 'Users' }).waitFor()
  assert.equal(await page.getByTestId('first-run').count(), 0)
  await app.nav('Approvals')
  await page.getByTestId('tab-queue').filter({ hasText: 'Waiting for approval (0)' }).waitFor()
  app.assertNoPageErrors()
})
