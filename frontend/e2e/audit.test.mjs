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
