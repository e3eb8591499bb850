// Approvals against the real App and embedded portal with the demo data: approve, deny with a
// reason, approve instead from the recycle bin, restore, and purge after a confirmation.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { openDemo } from './lib/demo.mjs'

const row = (page, email) => page.locator(`[data-testid="approval-row"][data-email^="${email}"]`)

test('approvals: approve takes a person out of the queue and the server makes them active', async (t) => {
  const app = await openDemo(t, { path: '/approvals' })
  if (!app) return
  const { page } = app
  await page.getByTestId('view-title').filter({ hasText: 'Approvals' }).waitFor()
  await page.getByTestId('tab-queue').filter({ hasText: 'Waiting for approval (6)' }).waitFor()
  // Those who asked for access come first, with where their account comes from.
  const first = page.getByTestId('approval-row').first()
  assert.match(await first.textContent(), /Yes, /)
  await row(page, 'harriet.cole@').waitFor()
  assert.match(await row(page, 'harriet.cole@').textContent(), /ashby\.example\.org/)
  await app.shot('approvals-queue')

  // Approve: the row stays where it was, marked, so that a second click 350 ms later (meant
  // for the next person, or a double click) lands on the mark, not on someone's Approve.
  const approveHarriet = row(page, 'harriet.cole@').getByRole('button', { name: 'Approve Harriet Cole' })
  const box = await approveHarriet.boundingBox()
  await approveHarriet.click()
  await app.toast('Harriet Cole was approved')
  await row(page, 'harriet.cole@').getByTestId('decided').filter({ hasText: 'Approved ✓' }).waitFor()
  await page.waitForTimeout(350)
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2)
  await page.getByTestId('tab-queue').filter({ hasText: '(5)' }).waitFor()
  await app.synced()
  assert.equal((await harnessPending(app)).length, 0, 'nothing else was queued by the second click')
  assert.equal((await app.user('harriet.cole@')).status, 'active')
  assert.equal((await app.user('imran.shah@')).status, 'pending', 'the next person was not approved')
  await app.shot('approvals-approved-undo')

  // Undo after the portal has it: the reverse is offered in a sentence, and done once confirmed.
  await row(page, 'harriet.cole@').getByTestId('undo').click()
  await page.getByText('The portal already has the approval: Harriet Cole can sign in').waitFor()
  await page.getByRole('button', { name: 'Deactivate the account' }).click()
  await app.toast('Harriet Cole is deactivated and can no longer sign in.')
  await row(page, 'harriet.cole@').waitFor({ state: 'detached' })
  await app.synced()
  const u = await app.user('harriet.cole@')
  assert.equal(u.status, 'deactivated')
  assert.equal(u.pending, false, 'the server has the reverse')
  app.assertNoPageErrors()
})

const harnessPending = (app) => app.call('PendingChanges')

test('approvals: deny asks for a reason, then moves the person to the recycle bin', async (t) => {
  const app = await openDemo(t, { path: '/approvals' })
  if (!app) return
  const { page } = app
  await row(page, 'wen.li@').getByRole('button', { name: 'Deny Wen Li' }).click()
  const dialog = page.getByTestId('deny-dialog')
  await dialog.waitFor()
  assert.match(await dialog.textContent(), /Are you sure you want to deny access to Wen Li\?/)
  assert.match(await dialog.textContent(), /Account source: eastgate\.example\.org/)

  // No reason: the dialog stays and says what to do.
  await dialog.getByTestId('deny-confirm').click()
  await dialog.getByText('Write why access is denied.', { exact: false }).waitFor()
  await app.shot('approvals-deny-needs-reason')

  await page.getByTestId('deny-reason').fill('Not a member of staff at Eastgate.')
  await dialog.getByTestId('deny-confirm').click()
  await dialog.waitFor({ state: 'detached' })
  await app.toast('Wen Li was denied and moved to the recycle bin')
  await row(page, 'wen.li@').waitFor({ state: 'detached' })

  await page.getByTestId('tab-bin').click()
  const denied = row(page, 'wen.li@')
  await denied.waitFor()
  assert.match(await denied.textContent(), /Not a member of staff at Eastgate\./)
  await app.shot('approvals-recycle-bin')

  await app.synced()
  const u = await app.user('wen.li@')
  assert.equal(u.status, 'denied')
  assert.equal(u.denyReason, 'Not a member of staff at Eastgate.')
  app.assertNoPageErrors()
})

test('approvals: the deny dialog offers to approve instead', async (t) => {
  const app = await openDemo(t, { path: '/approvals' })
  if (!app) return
  const { page } = app
  await row(page, 'oscar.bell@').getByRole('button', { name: 'Deny Oscar Bell' }).click()
  await page.getByTestId('deny-dialog').waitFor()
  await page.getByTestId('deny-approve-instead').click()
  await app.toast('Oscar Bell was approved')
  await row(page, 'oscar.bell@').waitFor({ state: 'detached' })
  await app.synced()
  assert.equal((await app.user('oscar.bell@')).status, 'active')
  app.assertNoPageErrors()
})

test('approvals: approve instead and restore from the recycle bin, purge after confirming', async (t) => {
  const app = await openDemo(t, { path: '/approvals?tab=bin' })
  if (!app) return
  const { page } = app
  const zed = await app.user('zed')
  await page.getByTestId('tab-bin').filter({ hasText: 'Recycle bin (1)' }).waitFor()
  await row(page, zed.email).getByTestId('approve-instead').click()
  await app.toast('Zed Unknown was approved after all')
  await page.getByTestId('tab-bin').filter({ hasText: 'Recycle bin (0)' }).waitFor()
  await app.synced()
  assert.equal((await app.user(zed.email)).status, 'active')

  // Two more denials to restore and purge.
  const lucia = await app.user('lucia.romano@')
  const pete = await app.user('pete.walsh@')
  await app.call('Deny', lucia.id, 'Duplicate account')
  await app.call('Deny', pete.id, 'Unknown person')
  await app.synced()
  await page.getByTestId('tab-bin').filter({ hasText: 'Recycle bin (2)' }).waitFor()

  await row(page, lucia.email).getByTestId('restore').click()
  await app.toast('Lucia Romano was restored')
  await row(page, lucia.email).waitFor({ state: 'detached' })

  // Purge: cancelling keeps the account, confirming removes it for good.
  await row(page, pete.email).getByTestId('purge').click()
  await page.getByTestId('confirm-text').filter({ hasText: 'removed for good' }).waitFor()
  await app.shot('approvals-purge-confirm')
  await app.confirm(false)
  await row(page, pete.email).waitFor()
  await row(page, pete.email).getByTestId('purge').click()
  await app.confirm(true)
  await app.toast('Pete Walsh was purged')
  await row(page, pete.email).waitFor({ state: 'detached' })
  await app.synced()
  const left = await app.call('SearchUsers', { query: 'pete.walsh@', status: [], kind: '', role: '', organizationId: '', orgAdmin: null, lastLogin: '', ghost: false, pendingOnly: false, offset: 0, limit: 10, sort: 'name', desc: false })
  assert.equal(left.total, 0, 'the purged account is gone from the local copy')
  assert.equal((await app.user(lucia.email)).status, 'active')
  app.assertNoPageErrors()
})
