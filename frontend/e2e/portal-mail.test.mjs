// Invitations → Portal mail: the portal's own messages with where each stands and why, never
// what they say. On the demo's local portal (no public address yet), the messages that
// carry a link were not sent, each with the reason; they cannot be sent again (their link
// is gone), and the screen says what to do instead.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { themedShots } from './lib/app.mjs'
import { openDemo } from './lib/demo.mjs'

test('portal mail: every message with its status and reason, no body, no link', async (t) => {
  const app = await openDemo(t)
  if (!app) return
  const { page } = app
  await app.nav('Invitations')
  await page.locator('.n-tabs-tab').filter({ hasText: 'Portal mail' }).click()
  const table = page.getByTestId('mail-table')
  await table.locator('tbody tr').first().waitFor()
  const first = await table.locator('tbody tr').first().textContent()
  assert.match(first, /Not sent/)
  assert.match(first, /would point to this computer/)
  assert.match(first, /Its links? (is|are) gone/)
  const all = await page.getByTestId('portal-mail').textContent()
  assert.ok(!all.includes('/invite/') && !all.includes('token='), 'no link is shown')
  // Only the waiting ones: none on the demo.
  await page.getByTestId('mail-status').click()
  await page.locator('.n-base-select-option').filter({ hasText: /^Waiting$/ }).click()
  await table.getByText('The portal has sent no message yet.').waitFor()
  await page.getByTestId('mail-status').click()
  await page.locator('.n-base-select-option').filter({ hasText: /^Every message$/ }).click()
  await table.locator('tbody tr').first().filter({ hasText: 'Not sent' }).waitFor()
  await page.mouse.move(5, 5)
  await themedShots(page, 'invitations-portal-mail')
  app.assertNoPageErrors()
})
