// The pantry journey (PantrySoft's "promote a client to a user"), from a volunteer's first
// sign-in to her first sign-in as staff, against a real portal server: oidc-provider as the
// identity provider of both the portal's pages and the desktop, gatehouse-server, and the
// real App in the harness.
//
// The coordinator lets first sign-ins become clients. Vera, a volunteer, signs in with her
// organisation's account and leaves the registration form unfinished: she is a ghost
// account on the desktop. She finishes it. The coordinator finds her by e-mail, promotes her
// with a core and an additional role and keeps her client record; later deletes the record
// from her drawer. Vera signs in again and the portal tells her she is a staff user with
// those roles. The audit log names who did each step.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { shot, themedShots } from './lib/app.mjs'
import { connectDesktop, portalSignIn } from './lib/portal.mjs'
import { startJourney } from './lib/journey.mjs'

const vera = 'vera@eastgate.example.org'

test('journey (pantry): a volunteer signs in, finishes registering, is promoted to staff and signs in as staff', { timeout: 300_000 }, async (t) => {
  const j = await startJourney(t, 'pantry')
  if (!j) return
  const { issuer } = j
  const harness = await j.desktop()
  const portal = await j.portal({ extraArgs: ['--sso-issuer', issuer, '--sso-client-id', 'gatehouse-portal'] })
  const open = j.browser
  const page = await open()
  const errors = []
  page.on('pageerror', (e) => errors.push(e))
  const nav = async (label) => {
    await page.getByTestId('nav').getByText(label, { exact: true }).click()
    await page.getByTestId('view-title').filter({ hasText: label }).waitFor()
  }
  const synced = async () => {
    await harness.call('app.ConnectionService.SyncNow')
    await page.getByTestId('status-pending').filter({ hasText: 'Pending changes: 0' }).waitFor()
  }

  // ---- The coordinator connects the desktop and lets first sign-ins become clients.
  await page.goto(harness.url)
  await connectDesktop(page, { portal, issuer, login: 'admin@example.org' })
  await page.locator('.n-tabs-tab').filter({ hasText: 'Portal' }).click()
  await page.getByTestId('portal-settings').locator('form').waitFor()
  await page.getByTestId('portal-name').locator('input').fill('Eastgate Food Bank')
  await page.getByTestId('portal-signup-client').click()
  await page.getByTestId('portal-save').click()
  await page.getByText('The portal settings were saved.').first().waitFor()

  // ---- 1. Vera signs in with her organisation's account: a client at once, asked to
  // finish registering. She leaves the form.
  const web = await open()
  await portalSignIn(web, portal, vera)
  await web.getByText('Complete your registration').waitFor()
  await web.getByText('You are a client.').waitFor()
  await shot(web, 'journey-pantry-registration-unfinished')

  // ---- 2. On the desktop she is a ghost account.
  await harness.call('app.ConnectionService.SyncNow')
  await nav('Users')
  await page.getByTestId('ghosts-tab').click()
  const ghost = page.getByTestId('ghost-row').filter({ hasText: vera })
  await ghost.waitFor()
  await themedShots(page, 'journey-pantry-ghosts')

  // ---- 3. She comes back and finishes it, with her full name.
  await web.goto(portal + '/account')
  await web.locator('input[name="name"]').fill('Vera Lind')
  await web.getByRole('button', { name: 'Complete registration' }).click()
  await web.getByText('Complete your registration').waitFor({ state: 'detached' })
  await web.getByText('Vera Lind').first().waitFor()

  // The ghost list empties once the desktop hears of it.
  await harness.call('app.ConnectionService.SyncNow')
  await page.locator('.n-tabs-tab').filter({ hasText: 'All people' }).click()
  await page.getByTestId('ghosts-tab').click()
  await ghost.waitFor({ state: 'detached' })

  // ---- 4. The coordinator finds her by e-mail and promotes her: Volunteer as the core
  // role, Reports besides; the client record is kept.
  await page.locator('.n-tabs-tab').filter({ hasText: 'All people' }).click()
  await page.getByTestId('promote-open').click()
  const dlg = page.getByTestId('promote-dialog')
  await dlg.waitFor()
  await page.getByTestId('promote-email').fill(vera.toUpperCase())
  await page.keyboard.press('Enter')
  const verify = dlg.getByTestId('promote-verify')
  await verify.waitFor()
  for (const want of ['Vera Lind', vera, 'Client', 'Complete']) assert.ok((await verify.textContent()).includes(want), `the record shows ${want}`)
  await dlg.getByTestId('promote-confirm-record').click()
  await dlg.getByTestId('core-role-volunteer').click()
  await dlg.getByTestId('additional-role-reports').click()
  await themedShots(page, 'journey-pantry-promote-roles')
  await dlg.getByTestId('promote-save').click()
  await dlg.getByTestId('promote-done-text').filter({ hasText: 'Vera Lind is now a staff user with the roles Volunteer, Reports.' }).waitFor()
  await dlg.getByTestId('promote-exit').click()
  await dlg.waitFor({ state: 'detached' })
  await synced()

  // ---- 5. Later, from her drawer, the kept client record is deleted after a confirmation.
  await page.getByTestId('users-search').fill(vera)
  await page.getByTestId('users-count').filter({ hasText: '1 person' }).waitFor()
  await page.locator('.vt-row').filter({ hasText: 'Vera Lind' }).filter({ hasText: 'Staff user' }).waitFor()
  await page.getByTestId('cell-name').first().click()
  const drawer = page.getByTestId('user-drawer')
  await drawer.getByTestId('drawer-title').filter({ hasText: 'Vera Lind' }).waitFor()
  await drawer.getByTestId('drawer-delete-client-record').click()
  await page.getByTestId('confirm-text').filter({ hasText: 'they stay a staff user' }).waitFor()
  await page.getByTestId('confirm-yes').click()
  await page.locator('.n-message').filter({ hasText: 'The client record of Vera Lind is deleted' }).first().waitFor()
  await drawer.getByTestId('drawer-delete-client-record').waitFor({ state: 'detached' })
  await synced()
  await themedShots(page, 'journey-pantry-drawer-staff')

  // ---- 6. Vera signs out, and signs in again on another computer: the portal says she
  // is a staff user, with her roles.
  await web.getByRole('button', { name: 'Sign out' }).click()
  await web.getByText("Sign in with your organisation's account").waitFor()
  const again = await open()
  await portalSignIn(again, portal, vera)
  await again.getByText('You are a staff user with the roles Volunteer, Reports.').waitFor()
  assert.equal(await again.getByText('Complete your registration').count(), 0)
  await shot(again, 'journey-pantry-signed-in-as-staff')

  // ---- 7. The audit log names who did what.
  await page.keyboard.press('Escape')
  await nav('Audit')
  const log = (await harness.call('app.AuditService.AuditLog', { entityType: '', entityId: '', actorId: '', action: '', organizationId: '', from: null, to: null, offset: 0, limit: 200 })).rows
  const about = log.filter((e) => JSON.stringify(e.after ?? e.before ?? {}).includes(vera) || e.entityId === (log.find((x) => x.action === 'account.sign_up')?.entityId))
  const actions = about.map((e) => `${e.action} by ${e.actorName}`).reverse()
  for (const want of ['account.sign_up by Vera', 'account.complete_registration by Vera Lind', 'account.promote by Admin', 'account.delete_client_record by Admin']) {
    assert.ok(actions.includes(want), `the log has "${want}": ${actions.join('; ')}`)
  }
  await page.locator('[data-testid="audit-row"][data-action="account.promote"]').filter({ hasText: 'Admin' }).filter({ hasText: 'Vera Lind' }).waitFor()
  assert.deepEqual(errors.map(String), [], 'the desktop reported errors')
})
