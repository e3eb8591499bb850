// Settings → About reads the version and the database path from the real Go App.
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { test } from 'node:test'
import { openApp } from './lib/app.mjs'
import { expectURL } from './lib/browser.mjs'

test('settings: About shows the version and the database the Go side opened', async (t) => {
  const version = `e2e-${process.pid}`
  const app = await openApp(t, { version })
  if (!app) return
  const { page, harness } = app
  await app.nav('Settings')
  await expectURL(page, /#\/settings\/about$/)

  const path = page.getByTestId('about-database-path')
  await path.waitFor()
  assert.equal(await path.textContent(), harness.databasePath)
  assert.ok(existsSync(harness.databasePath), 'the database file exists on disk')
  assert.equal(await page.getByTestId('about-version').textContent(), version)
  assert.match(await page.getByTestId('about-toolchain').textContent(), /^go1\.\d+.*, Wails v2\.16\.0$/)
  assert.equal(await page.getByTestId('about-db-error').count(), 0)

  // The same answer straight from the bridge, so the screen shows what Go returned.
  const about = await harness.call('app.App.About')
  assert.equal(about.databasePath, harness.databasePath)
  assert.equal(about.version, version)
  assert.equal(await page.getByTestId('about-os').textContent(), about.os)
  app.assertNoPageErrors()
})
