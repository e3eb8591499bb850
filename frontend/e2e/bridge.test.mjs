// The bridge shim in a real browser: errors and events cross the way Wails delivers them.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { openApp } from './lib/app.mjs'

test('bridge: an unknown method rejects like Wails, with an Error', async (t) => {
  const app = await openApp(t)
  if (!app) return
  const got = await app.page.evaluate(() =>
    window.go.app.UsersService.NoSuchMethod().then(
      () => 'resolved',
      (e) => ({ isError: e instanceof Error, message: e.message }),
    ),
  )
  assert.deepEqual(got, { isError: true, message: "method 'app.UsersService.NoSuchMethod' not registered" })
})

test('bridge: files dropped on the window reach runtime.OnFileDrop and Go events arrive in order', async (t) => {
  const app = await openApp(t)
  if (!app) return
  const { page, harness } = app
  await page.evaluate(() => {
    window.__drops = []
    window.runtime.OnFileDrop((x, y, paths) => window.__drops.push({ x, y, paths }))
  })
  await harness.drop(['/tmp/one.xlsx', '/tmp/two.csv'], 120, 80)
  await harness.drop(['/tmp/three.xlsx'], 5, 6)
  await page.waitForFunction(() => window.__drops.length === 2)
  assert.deepEqual(await page.evaluate(() => window.__drops), [
    { x: 120, y: 80, paths: ['/tmp/one.xlsx', '/tmp/two.csv'] },
    { x: 5, y: 6, paths: ['/tmp/three.xlsx'] },
  ])
  app.assertNoPageErrors()
})
