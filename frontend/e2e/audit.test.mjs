// The audit log against the real App: an action just taken appears with who did it, opens to
// a readable before/after, and the filters narrow the log.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { openDemo } from './lib/demo.mjs'

test('audit: a denial shows who, what and the before/after; filters narrow the log', async (t) => {
  const app = await openDemo(t, { path: '/audit' })
  if (!app) return
  const { page } = app
  const lucia = await app.user('lucia.romano@')
  await app.call('Deny', lucia.id, 'Signed in with a personal account')
  await app.synced()

  // Only denials.
  await page.getByTestId('audit-action').click()
  await page.locator('.n-base-select-option').filter({ hasText: /^Denied$/ }).click()
  const rows = page.getByTestId('audit-row')
  const row = page.locator('[data-testid="audit-row"][data-action="account.deny"]').filter({ hasText: 'Lucia Romano' })
  await row.waitFor()
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="audit-row"]')].every((r) => r.dataset.action === 'account.deny'))
  const all = await rows.evaluateAll((rs) => rs.map((r) => r.dataset.action))
  assert.ok(all.length >= 2, 'the demo denial and the new one')
  assert.ok(all.every((a) => a === 'account.deny'), `only denials: ${all}`)

  // Enter on a row opens its before/after as readable changes.
  await row.focus()
  await page.keyboard.press('Enter')
  const diff = page.getByTestId('audit-diff')
  await diff.waitFor()
  const text = await diff.textContent()
  assert.match(text, /Reason: Signed in with a personal account/)
  const status = diff.locator('tr').filter({ has: page.locator('th', { hasText: /^Status$/ }) })
  assert.equal((await status.locator('td').allTextContents()).join(' | '), 'Pending approval | Denied')
  await app.shot('audit-expanded')

  // A date range that ends before today leaves nothing.
  await page.getByTestId('audit-dates').locator('input').first().fill('2020-01-01')
  await page.getByTestId('audit-dates').locator('input').nth(1).fill('2020-01-02')
  await page.keyboard.press('Enter')
  await page.getByText('Nothing in the log matches these filters.').waitFor()
  app.assertNoPageErrors()
})

test('audit: the actor filter offers everyone in the log, not only those on the page, and searches as you type', async (t) => {
  const app = await openDemo(t, { path: '/audit' })
  if (!app) return
  const { page } = app
  const everyone = await app.call('AuditActors', '')
  assert.ok(everyone.length >= 2, `the demo log has several actors (${everyone.length})`)
  await page.getByTestId('audit-row').first().waitFor()

  // Narrow the page to one action: its actors are a few of everyone.
  await page.getByTestId('audit-action').click()
  await page.locator('.n-base-select-option').filter({ hasText: /^Denied$/ }).click()
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="audit-row"]')].every((r) => r.dataset.action === 'account.deny'))
  const onPage = new Set(await page.getByTestId('audit-row').evaluateAll((rs) => rs.map((r) => r.dataset.actor)))
  const target = everyone.find((a) => !onPage.has(a.id)) ?? everyone[everyone.length - 1]
  assert.ok(!onPage.has(target.id), `someone who acted is not on the page (page: ${[...onPage]})`)

  // Everyone is offered.
  await page.getByTestId('audit-actor').click()
  const options = page.locator('.n-base-select-option')
  // Counted in the open menu only (the action filter's menu stays in the page, hidden).
  const shownOptions = (n) =>
    page.waitForFunction((n) => [...document.querySelectorAll('.n-base-select-option')].filter((o) => o.offsetParent !== null).length === n, n)
  await shownOptions(everyone.length + 1)
  await app.shot('audit-actors')

  // Typing asks the App (part of the name, any case) and the pick filters the log.
  const part = target.name.slice(1, Math.max(3, target.name.length - 1)).toUpperCase()
  await page.keyboard.type(part)
  const wanted = options.filter({ hasText: target.name })
  await wanted.first().waitFor()
  const narrowed = await app.call('AuditActors', part)
  assert.ok(narrowed.length < everyone.length, 'typing narrows the list')
  await shownOptions(narrowed.length + 1)
  await wanted.first().click()
  await page.getByTestId('audit-action').click()
  await page.keyboard.type('Any action')
  await page.locator('.n-base-select-option').filter({ hasText: /^Any action$/ }).click()
  const theirs = await app.call('AuditLog', { entityType: '', entityId: '', actorId: target.id, action: '', organizationId: '', from: null, to: null, offset: 0, limit: 50 })
  assert.ok(theirs.total > 0)
  await page.waitForFunction(
    ({ id, n }) => {
      const rs = [...document.querySelectorAll('[data-testid="audit-row"]')]
      return rs.length === n && rs.every((r) => r.dataset.actor === id)
    },
    { id: target.id, n: Math.min(theirs.total, 50) },
  )
  app.assertNoPageErrors()
})

// At 1024 pixels the log fits beside the menu: what changed is left to the opened entry,
// which shows it in full, instead of a table that scrolls sideways.
test('audit: at 1024 pixels the log does not scroll sideways, and an entry still opens to what changed', async (t) => {
  const app = await openDemo(t, { path: '/audit', viewport: { width: 1024, height: 700 } })
  if (!app) return
  const { page } = app
  const table = page.getByTestId('audit-table')
  const row = page.getByTestId('audit-row').first()
  await row.waitFor()
  const heads = (await table.locator('th').allInnerTexts()).map((x) => x.trim()).filter(Boolean)
  assert.deepEqual(heads, ['When', 'Who', 'Did', 'To'])
  const sideways = await table.evaluate((el) => {
    const box = el.querySelector('.n-data-table-base-table-body, .n-scrollbar-container')
    return box ? box.scrollWidth - box.clientWidth : -1
  })
  assert.ok(sideways === 0, `the log scrolls ${sideways} px sideways`)
  await row.focus()
  await page.keyboard.press('Enter')
  await page.getByTestId('audit-diff').waitFor()

  // Wider, the summary of what changed is back as a column.
  await page.setViewportSize({ width: 1280, height: 800 })
  await table.locator('th').filter({ hasText: 'Changed' }).waitFor()
  app.assertNoPageErrors()
})
