// Conflicts, produced by a second administrator acting on the portal server directly while
// the desktop still shows the old record: the status bar counts them, the drawer shows both
// versions side by side, and the administrator keeps theirs or applies their own again.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { openDemo } from './lib/demo.mjs'

test('conflicts: approve after someone else denied → shown side by side → keep theirs', async (t) => {
  const app = await openDemo(t, { path: '/approvals' })
  if (!app) return
  const { page } = app
  const oscar = await app.user('oscar.bell@')
  assert.equal(oscar.status, 'pending')

  // The other administrator denies Oscar on the server; the desktop has not pulled since.
  await app.other('POST', `/api/v1/accounts/${oscar.id}/deny`, { reason: 'Not known at any member organisation' })
  const row = page.locator(`[data-testid="approval-row"][data-email^="oscar.bell@"]`)
  await row.getByRole('button', { name: 'Approve Oscar Bell' }).click()
  await app.toast('Oscar Bell was approved')

  const conflicts = page.getByTestId('status-conflicts')
  await conflicts.filter({ hasText: 'Conflicts: 1' }).waitFor({ timeout: 20_000 })
  await app.shot('conflicts-status-bar')
  await conflicts.click()
  const drawer = page.getByTestId('changes-drawer')
  const c = drawer.getByTestId('conflict')
  await c.waitFor()
  assert.match(await c.textContent(), /Oscar Bell/)
  // Both versions, side by side: mine approves, theirs denied with a reason.
  const statusRow = c.locator('tr').filter({ has: page.locator('th', { hasText: /^Status$/ }) })
  assert.equal(await statusRow.getByTestId('conflict-mine').textContent(), 'Active')
  assert.equal(await statusRow.getByTestId('conflict-theirs').textContent(), 'Denied')
  assert.match(await c.textContent(), /Not known at any member organisation/)
  await app.shot('conflicts-drawer')

  await c.getByTestId('keep-theirs').click()
  await app.confirm(true)
  await app.toast('the server’s version stays')
  await drawer.getByTestId('conflict').waitFor({ state: 'detached' })
  await conflicts.filter({ hasText: 'Conflicts: 0' }).waitFor()
  await page.keyboard.press('Escape')
  await drawer.waitFor({ state: 'detached' })

  await app.synced()
  const after = await app.user('oscar.bell@')
  assert.equal(after.status, 'denied')
  assert.equal(after.conflict, false)
  app.assertNoPageErrors()
})

test('conflicts: deactivate after someone else changed the person → apply mine again', async (t) => {
  const app = await openDemo(t)
  if (!app) return
  const { page } = app
  const ada = await app.user('ada.abbott@')
  assert.equal(ada.orgAdmin, false)

  // The other administrator makes Ada an organisation administrator on the server.
  await app.other('POST', `/api/v1/accounts/${ada.id}/org-admin`, { admin: true })

  await page.getByTestId('users-search').fill('ada.abbott')
  await page.getByTestId('users-count').filter({ hasText: '1 person' }).waitFor()
  await page.getByTestId('cell-name').first().click()
  const drawer = page.getByTestId('user-drawer')
  await drawer.getByTestId('drawer-deactivate').click()
  await app.confirm(true)
  await app.toast('Ada Abbott is deactivated')
  await page.keyboard.press('Escape')

  const conflicts = page.getByTestId('status-conflicts')
  await conflicts.filter({ hasText: 'Conflicts: 1' }).waitFor({ timeout: 20_000 })
  // The row says so too.
  await page.locator('.vt-row').filter({ hasText: 'Ada Abbott' }).getByText('conflict').waitFor()
  await conflicts.click()
  const c = page.getByTestId('changes-drawer').getByTestId('conflict')
  await c.waitFor()
  const adminRow = c.locator('tr').filter({ has: page.locator('th', { hasText: /^Organisation administrator$/ }) })
  assert.equal(await adminRow.getByTestId('conflict-mine').textContent(), 'No')
  assert.equal(await adminRow.getByTestId('conflict-theirs').textContent(), 'Yes')

  await c.getByTestId('apply-mine').click()
  await app.toast('Your change was applied again')
  await conflicts.filter({ hasText: 'Conflicts: 0' }).waitFor()
  await app.synced()
  const after = await app.user('ada.abbott@')
  assert.equal(after.status, 'deactivated', 'my change is on the server')
  assert.equal(after.orgAdmin, true, 'and theirs is kept')
  app.assertNoPageErrors()
})
