// Time to first rows of the Users table with 100,000 accounts in the local copy, and that
// the table stays virtual (only the rows in view exist) while jumping to the middle and the
// end. The figures are printed, never asserted: wall time depends on the machine.
//
// The accounts come from the harness's -seed-users flag when it has one; otherwise they are
// added through the embedded portal's admin API (POST /api/v1/users, 1,000 at a time, invited)
// and synced, which takes a few minutes. GATEHOUSE_E2E_USERS changes the count.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { test } from 'node:test'
import { harnessBinary } from './lib/harness.mjs'
import { openDemo, query } from './lib/demo.mjs'

const N = Number(process.env.GATEHOUSE_E2E_USERS || 100_000)

function harnessSeeds() {
  try {
    execFileSync(harnessBinary(), ['-h'], { stdio: 'pipe' })
    return false
  } catch (e) {
    // flag's -h prints the flags to stderr and exits 2
    return String(e.stderr ?? '').includes('-seed-users')
  }
}

test(`users: time to first rows of a ${N.toLocaleString('en')}-account table`, { timeout: 20 * 60_000 }, async (t) => {
  const seedFlag = harnessSeeds()
  const app = await openDemo(t, { path: '/approvals', extraArgs: seedFlag ? ['-seed-users', String(N)] : [] })
  if (!app) return
  const { page } = app

  let have = (await app.call('SearchUsers', query({ limit: 1 }))).total
  if (have < N) {
    const t0 = Date.now()
    const orgs = (await app.call('Organisations', { query: '', type: '', offset: 0, limit: 100 })).rows
    for (let b = 0; have + b * 1000 < N; b++) {
      const n = Math.min(1000, N - have - b * 1000)
      const emails = Array.from({ length: n }, (_, i) => `person${String(b * 1000 + i).padStart(6, '0')}@bulk${b % 9}.example.org`)
      await app.other('POST', '/api/v1/users', { organizationId: orgs[b % orgs.length].id, emails, roles: [], invite: true, expiresInDays: 30, send: false })
    }
    const seeded = Date.now() - t0
    await app.call('SyncNow')
    have = (await app.call('SearchUsers', query({ limit: 1 }))).total
    console.log(`# seeded ${have.toLocaleString('en')} accounts through the portal API in ${seeded} ms, synced in ${Date.now() - t0 - seeded} ms`)
  }
  assert.ok(have >= N, `the local copy holds ${have} accounts`)

  // From a click on "Users" to the first row on screen, measured in the page.
  const ms = await page.evaluate(async () => {
    const t0 = performance.now()
    const item = [...document.querySelectorAll('[data-testid="nav"] .n-menu-item-content')].find((e) => e.textContent?.trim() === 'Users')
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
