// Promote to user, in PantrySoft's order, against the real App with the demo data.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { openDemo } from './lib/demo.mjs'

test('promote: find a client by e-mail, verify, pick one core role and more, save, and see a staff user', async (t) => {
  const app = await openDemo(t)
  if (!app) return
  const { page } = app
  const before = await app.user('ben.murphy@')
  assert.equal(before.kind, 'client')
  assert.equal(before.clientRecord, true)

  app.expectFailedCall('FindClientByEmail') // the unknown address below
  await page.getByTestId('promote-open').click()
  const dlg = page.getByTestId('promote-dialog')
  await dlg.waitFor()
  // Focus starts in the e-mail field; an unknown address says what to do.
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'promote-email')
  await page.keyboard.type('nobody@nowhere.example.org')
  await page.keyboard.press('Enter')
  await dlg.locator('.field-error').filter({ hasText: /\w/ }).waitFor()
  const notFound = await dlg.locator('.field-error').textContent()
  assert.match(notFound, /nobody@nowhere\.example\.org|no client|not find|No /i)

  await page.getByTestId('promote-email').fill(before.email)
  await page.getByTestId('promote-search').click()
  const verify = dlg.getByTestId('promote-verify')
  await verify.waitFor()
  for (const want of ['Ben Murphy', before.email, before.organizationName, 'Client', 'Complete']) {
    assert.ok((await verify.textContent()).includes(want), `the record shows ${want}`)
  }
  await app.shot('promote-verify')
  await dlg.getByTestId('promote-confirm-record').click()

  // Save without a core role: the dialog says to choose one.
  await dlg.getByTestId('promote-save').click()
  await dlg.getByTestId('promote-core-error').filter({ hasText: 'Choose one core role' }).waitFor()
  await dlg.getByTestId('core-role-volunteer').click()
  await dlg.getByTestId('core-role-staff').click() // exactly one: the second replaces the first
  await dlg.getByTestId('additional-role-reports').click()
  await dlg.getByTestId('promote-delete-client').click()
  await app.shot('promote-roles')
  await dlg.getByTestId('promote-save').click()

  const done = dlg.getByTestId('promote-done-text')
  await done.waitFor()
  assert.equal(await done.textContent(), 'Ben Murphy is now a staff user with the roles Staff, Reports.')
  // Every step is ticked off.
  await dlg.locator('.n-step').nth(3).and(page.locator('.n-step--finish-status')).waitFor()
  await page.waitForTimeout(400) // the step colours fade
  await app.shot('promote-done')
  await dlg.getByTestId('promote-exit').click()
  await dlg.waitFor({ state: 'detached' })

  await app.synced()
  const after = await app.user('ben.murphy@')
  assert.equal(after.kind, 'staff')
  assert.equal(after.coreRole, 'staff')
  assert.deepEqual(after.additionalRoles, ['reports'])
  assert.equal(after.clientRecord, false, 'the leftover client record is gone')
  assert.equal(after.pending, false)

  // The Users table lists the person as a staff user.
  await page.getByTestId('users-search').fill('ben.murphy')
  const row = page.locator('.vt-row').filter({ hasText: 'Ben Murphy' })
  await row.filter({ hasText: 'Staff user' }).waitFor()
  assert.match(await row.textContent(), /Staff, Reports/)
  app.assertNoPageErrors()
})

test('promote: a ghost account is blocked until its registration is marked complete', async (t) => {
  const app = await openDemo(t)
  if (!app) return
  const { page } = app
  const ghost = (await app.call('Ghosts'))[0]
  assert.ok(ghost, 'the demo has a ghost account')
  await page.getByTestId('promote-open').click()
  const dlg = page.getByTestId('promote-dialog')
  await page.getByTestId('promote-email').fill(ghost.email)
  await page.keyboard.press('Enter')
  await dlg.getByTestId('promote-blocker').waitFor()
  assert.equal(await dlg.getByTestId('promote-confirm-record').isDisabled(), true)
  await app.shot('promote-ghost-blocked')
  await dlg.getByTestId('promote-fix-registration').click()
  await dlg.getByTestId('promote-blocker').waitFor({ state: 'detached' })
  await dlg.getByTestId('promote-confirm-record').click()
  await dlg.getByTestId('core-role-volunteer').click()
  await dlg.getByTestId('promote-save').click()
  await dlg.getByTestId('promote-done-text').filter({ hasText: 'is now a staff user with the roles Volunteer.' }).waitFor()
  await app.synced()
  const u = await app.user(ghost.email)
  assert.equal(u.kind, 'staff')
  assert.equal(u.registrationComplete, true)
  assert.equal(u.clientRecord, true, 'the client record stays unless asked')

  // Later, from the drawer: the kept client record is deleted after confirming; the person
  // stays a staff user.
  await page.keyboard.press('Escape')
  await page.getByTestId('users-search').fill(ghost.email)
  await page.getByTestId('users-count').filter({ hasText: '1 person' }).waitFor()
  await page.getByText(u.name, { exact: true }).first().click()
  const drawer = page.getByTestId('user-drawer')
  await drawer.getByTestId('drawer-title').filter({ hasText: u.name }).waitFor()
  await drawer.getByTestId('drawer-delete-client-record').click()
  await page.getByTestId('confirm-text').filter({ hasText: 'they stay a staff user' }).waitFor()
  await app.shot('drawer-delete-client-record')
  await page.getByTestId('confirm-yes').click()
  await app.toast(`The client record of ${u.name} is deleted`)
  await app.synced()
  const after = await app.user(ghost.email)
  assert.equal(after.clientRecord, false, 'the client record is gone')
  assert.equal(after.kind, 'staff')
  await drawer.getByTestId('drawer-delete-client-record').waitFor({ state: 'detached' })
  app.assertNoPageErrors()
})

test('promote: a search answered late does not pick the person of an address no longer in the box', async (t) => {
  const app = await openDemo(t)
  if (!app) return
  const { page } = app
  const first = await app.user('chloe.jensen@')
  const second = await app.user('ben.murphy@')
  const late = await app.holdAnswer('FindClientByEmail', first.email)
  await page.getByTestId('promote-open').click()
  const dlg = page.getByTestId('promote-dialog')
  await dlg.waitFor()
  // The administrator searches for one address, then, before it answers, for another.
  await page.getByTestId('promote-email').fill(first.email)
  await page.keyboard.press('Enter')
  await late.asked
  await page.getByTestId('promote-email').fill(second.email)
  await page.keyboard.press('Enter')
  const verify = dlg.getByTestId('promote-verify')
  await verify.filter({ hasText: second.email }).waitFor()
  await late.release()
  const shown = await verify.textContent()
  assert.ok(shown.includes(second.email) && !shown.includes(first.email), `the dialog stays on ${second.email}: ${shown}`)
  app.assertNoPageErrors()
})
