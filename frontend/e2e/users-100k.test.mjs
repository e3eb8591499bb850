// Time to first rows of the Users table with 100,000 accounts in the local copy, and that
// the table stays virtual (only the rows in view exist) while jumping to the middle and the
// end. The figures are printed, never asserted: wall time depends on the machine.
//
// The accounts are written straight into the embedded portal's database by the harness's
// -seed-users flag (10,000 per transaction) and synced into the local copy before the harness
// listens: seconds, where adding them through the portal's API took minutes.
// GATEHOUSE_E2E_USERS changes the count.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { openDemo, query } from './lib/demo.mjs'

const N = Number(process.env.GATEHOUSE_E2E_USERS || 100_000)

test(`users: time to first rows of a ${N.toLocaleString('en')}-account table`, { timeout: 20 * 60_000 }, async (t) => {
  const t0 = Date.now()
  const app = await openDemo(t, { path: '/approvals', extraArgs: ['-seed-users', String(N)], startTimeout: 10 * 60_000 })
  if (!app) return
  const { page } = app
  console.log(`# harness with ${N.toLocaleString('en')} seeded accounts ready in ${Date.now() - t0} ms`)

  // The harness synced before it listened; the indexes of that first download may still
  // be building. The bar says so until they are done (whether it is still there by now
  // depends on the machine: printed, not asserted).
  const indexing = page.getByTestId('status-indexing')
  const indexingAtStart = (await indexing.count()) > 0
  const have = (await app.call('SearchUsers', query({ limit: 1 }))).total
  assert.ok(have >= N, `the local copy holds ${have} accounts`)

  // From a click on "Users" to the first row on screen, measured in the page.
  const ms = await page.evaluate(async () => {
    const t0 = performance.now()
    const item = [...document.querySelectorAll('[data-testid="nav"] a.nav-item')].find((e) => e.textContent?.trim() === 'Users')
    item.click()
    await new Promise((res) => {
      const tick = () => (document.querySelector('[data-testid="cell-name"]') ? res() : requestAnimationFrame(tick))
      tick()
    })
    return performance.now() - t0
  })
  const count = page.getByTestId('users-count')
  await count.filter({ hasText: `${have.toLocaleString('en')} people` }).waitFor()
  const queryMs = Number(await page.locator('[data-first-rows-ms]').getAttribute('data-first-rows-ms'))
  console.log(`# Users table, ${have.toLocaleString('en')} accounts: first rows ${Math.round(ms)} ms after the click (first page query ${queryMs} ms)`)

  // The first rows above were timed while the indexes may still have been building; the
  // bar clears once they are done.
  await indexing.waitFor({ state: 'detached', timeout: 120_000 })
  assert.equal((await app.call('SyncStatus')).indexing, false, 'the status bar cleared while the App still builds indexes')
  console.log(`# "Preparing search…" shown when the page opened: ${indexingAtStart}; cleared after ${Date.now() - t0} ms from the harness start`)

  // Only the rows in view are in the page.
  const rowsInDom = () => page.locator('.vt-row').count()
  assert.ok((await rowsInDom()) < 80, `the table is virtual (${await rowsInDom()} rows in the page)`)

  // Jump to the middle and to the end: the rows there arrive, still few in the page.
  for (const [name, frac] of [['middle', 0.5], ['end', 1]]) {
    const jump = await page.evaluate(async (frac) => {
      const el = document.querySelector('[data-testid="users-table"]')
      const t0 = performance.now()
      el.scrollTop = (el.scrollHeight - el.clientHeight) * frac
      const want = Math.floor((el.scrollTop / 40) | 0)
      await new Promise((res) => {
        const tick = () => {
          const rows = [...el.querySelectorAll('.vt-row')]
          const ready = rows.some((r) => Number(r.dataset.index) >= want && r.querySelector('[data-testid="cell-name"]'))
          return ready ? res() : requestAnimationFrame(tick)
        }
        tick()
      })
      return performance.now() - t0
    }, frac)
    console.log(`# Users table: rows at the ${name} shown ${Math.round(jump)} ms after the jump`)
    assert.ok((await rowsInDom()) < 80, `still virtual at the ${name}`)
  }
  const lastIndex = await page.locator('.vt-row').last().getAttribute('data-index')
  assert.equal(Number(lastIndex), have - 1, 'the end of the list is reachable')
  await app.shot('users-100k')

  // Search as you type narrows 100,000 rows at once.
  await page.getByTestId('users-search').fill(`person${String(Math.floor(N / 2)).padStart(6, '0')}`)
  await page.getByTestId('users-count').filter({ hasText: '1 person' }).waitFor()
  app.assertNoPageErrors()
})
