// Settings → About reads the version and the database path from the real Go App; Settings →
// Portal changes the portal's settings.
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { test } from 'node:test'
import { openApp, themedShots } from './lib/app.mjs'
import { expectURL } from './lib/browser.mjs'

test('settings: About shows the version and the database the Go side opened', async (t) => {
  const version = `e2e-${process.pid}`
  const app = await openApp(t, { version })
  if (!app) return
  const { page, harness } = app
  await app.nav('Settings')
  await expectURL(page, /#\/settings\/about$/)

  const path = page.getByTestId('about-database-path')
  await path.waitFor()
  assert.equal(await path.textContent(), harness.databasePath)
  assert.ok(existsSync(harness.databasePath), 'the database file exists on disk')
  assert.equal(await page.getByTestId('about-version').textContent(), version)
  assert.match(await page.getByTestId('about-toolchain').textContent(), /^go1\.\d+.*, Wails v2\.16\.0$/)
  assert.equal(await page.getByTestId('about-db-error').count(), 0)

  // The same answer straight from the bridge, so the screen shows what Go returned.
  const about = await harness.call('app.ConnectionService.About')
  assert.equal(about.databasePath, harness.databasePath)
  assert.equal(about.version, version)
  assert.equal(await page.getByTestId('about-os').textContent(), about.os)
  app.assertNoPageErrors()
})

// Settings → Portal: the sign-up settings reach the portal, a wrong address is refused at
// its field, and the change is in the portal's audit log with what it was before.
// openPortalSettings opens the app on Settings → Portal, its form loaded.
async function openPortalSettings(t) {
  const app = await openApp(t)
  if (!app) return null
  await app.nav('Settings')
  await app.page.locator('.n-tabs-tab').filter({ hasText: 'Portal' }).click()
  await app.page.getByTestId('portal-settings').locator('form').waitFor()
  return app
}

test('settings: the portal decides who its messages come from, how long links and sign-ins last, what a first sign-in does and who is told', async (t) => {
  const app = await openPortalSettings(t)
  if (!app) return
  const { page, harness } = app
  assert.equal(await page.getByTestId('portal-signup-approval').locator('input').isChecked(), true)

  // An address that is not one is refused at the approvers' field; nothing is saved.
  const approvers = page.getByTestId('portal-approvers')
  const addApprover = async (addr) => {
    await approvers.locator('button').last().click()
    await approvers.locator('input').fill(addr)
    await approvers.locator('input').press('Enter')
  }
  await addApprover('approvals@eastgate.example.org')
  await addApprover('not an address')
  await page.getByTestId('portal-interval').fill('6')
  await page.getByTestId('portal-notify-denied').click()
  await page.getByTestId('portal-save').click()
  await page.getByText('"not an address" is not a plain e-mail address').waitFor()
  let saved = (await harness.call('app.SettingsService.PortalSettings')).settings
  assert.deepEqual(saved.approverEmails, [], 'nothing was saved')

  // Take the wrong one out, name the sender and shorten invitations and sign-ins: the
  // portal has it all.
  await approvers.locator('.n-tag').filter({ hasText: 'not an address' }).locator('.n-tag__close').click()
  await page.getByTestId('portal-sender-name').locator('input').fill('Eastgate Registrations')
  await page.getByTestId('portal-sender-address').locator('input').fill('registrations@eastgate.example.org')
  await page.getByTestId('portal-invitation-days').fill('3')
  await page.getByTestId('portal-max-invitation-days').fill('14')
  await page.getByTestId('portal-session-hours').fill('2')
  await page.getByTestId('portal-save').click()
  await page.getByText('The portal settings were saved.').waitFor()
  saved = (await harness.call('app.SettingsService.PortalSettings')).settings
  assert.deepEqual(saved.approverEmails, ['approvals@eastgate.example.org'])
  assert.equal(saved.requestAccessIntervalMinutes, 360)
  assert.equal(saved.notifyDenied, true)
  assert.equal(saved.signUpMode, 'approval')
  assert.equal(saved.senderName, 'Eastgate Registrations')
  assert.equal(saved.senderAddress, 'registrations@eastgate.example.org')
  assert.deepEqual([saved.invitationDays, saved.maxInvitationDays, saved.sessionHours], [3, 14, 2])

  // New sign-ins become clients: the approval settings no longer apply, and say so.
  await page.getByTestId('portal-signup-client').click()
  assert.equal(await page.getByTestId('portal-interval').isDisabled(), true)
  await page.getByTestId('portal-save').click()
  await assert.doesNotReject(async () => {
    for (let i = 0; i < 50; i++) {
      if ((await harness.call('app.SettingsService.PortalSettings')).settings.signUpMode === 'client') return
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error('the sign-up mode did not reach the portal')
  })
  await page.mouse.move(5, 5)
  await themedShots(page, 'settings-portal-signup')
  // The harness's bridge answers a refused call with 500, which the page logs; the refused
  // save above is the one expected, and there is no other error.
  const others = app.pageErrors.map(String).filter((e) => !e.includes('/bridge/call/app.SettingsService.SavePortalSettings'))
  assert.deepEqual(others, [], 'the page reported errors')
  assert.equal(app.pageErrors.length, 1, 'one refused save')
})


test('settings: portal settings typed and not saved are not lost on the way to another tab or screen', async (t) => {
  const app = await openPortalSettings(t)
  if (!app) return
  const { page, harness } = app
  const name = page.getByTestId('portal-sender-name').locator('input')
  await name.fill('Eastgate Registrations')
  await page.getByTestId('portal-sender-address').locator('input').fill('registrations@eastgate.example.org')

  // Another tab: asked first; Stay keeps the edit where it was.
  await page.locator('.n-tabs-tab').filter({ hasText: 'About' }).click()
  await page.getByTestId('unsaved-text').filter({ hasText: "the portal's settings" }).waitFor()
  await themedShots(page, 'settings-portal-unsaved')
  await page.getByTestId('unsaved-stay').click()
  assert.equal(await name.inputValue(), 'Eastgate Registrations')

  // Another screen, then Save: the edit reaches the portal, and the screen changes. (A
  // save the portal refuses keeps the screen, with the refusal at its field.)
  await page.getByTestId('nav').getByText('Audit', { exact: true }).click()
  await page.getByTestId('unsaved-save').click()
  await page.getByTestId('view-title').filter({ hasText: 'Audit' }).waitFor()
  assert.equal((await harness.call('app.SettingsService.PortalSettings')).settings.senderName, 'Eastgate Registrations')

  // Discard drops the edit; nothing is saved.
  await app.nav('Settings')
  await page.locator('.n-tabs-tab').filter({ hasText: 'Portal' }).click()
  await name.fill('Someone Else')
  await page.locator('.n-tabs-tab').filter({ hasText: 'About' }).click()
  await page.getByTestId('unsaved-discard').click()
  await page.getByTestId('about').waitFor()
  assert.equal((await harness.call('app.SettingsService.PortalSettings')).settings.senderName, 'Eastgate Registrations')
  // Nothing edited: no question.
  await page.locator('.n-tabs-tab').filter({ hasText: 'Portal' }).click()
  await name.waitFor()
  await page.locator('.n-tabs-tab').filter({ hasText: 'About' }).click()
  await page.getByTestId('about').waitFor()
  assert.equal(await page.getByTestId('unsaved-text').count(), 0)

  // The server address typed on Server and sign-in, and the local administrator's name,
  // are asked about too.
  await page.locator('.n-tabs-tab').filter({ hasText: 'Server and sign-in' }).click()
  await page.getByTestId('signin-server-url').fill('https://portal.example.org')
  await page.locator('.n-tabs-tab').filter({ hasText: 'About' }).click()
  await page.getByTestId('unsaved-text').filter({ hasText: 'the server and sign-in settings' }).waitFor()
  await page.getByTestId('unsaved-discard').click()
  await page.getByTestId('about').waitFor()
  assert.equal((await harness.call('app.SettingsService.SignInSettings')).serverUrl, '', 'Discard saved no server')
  await page.locator('.n-tabs-tab').filter({ hasText: 'Server and sign-in' }).click()
  await page.getByTestId('local-admin-name').fill('Ann Reed')
  await page.locator('.n-tabs-tab').filter({ hasText: 'About' }).click()
  await page.getByTestId('unsaved-text').filter({ hasText: 'your name on the local portal' }).waitFor()
  await page.getByTestId('unsaved-stay').click()
  assert.equal(await page.getByTestId('local-admin-name').inputValue(), 'Ann Reed')
  app.assertNoPageErrors()
})

test('settings: a directory connection begun and not made is asked about; its Save connects and stays to show the token', async (t) => {
  const app = await openApp(t)
  if (!app) return
  const { page, harness } = app
  await app.nav('Settings')
  await page.locator('.n-tabs-tab').filter({ hasText: 'Directories' }).click()
  await page.getByTestId('directories-table').waitFor()
  const name = page.getByTestId('directory-name').locator('input')

  // Nothing typed: no question.
  await page.locator('.n-tabs-tab').filter({ hasText: 'About' }).click()
  await page.getByTestId('about').waitFor()
  assert.equal(await page.getByTestId('unsaved-text').count(), 0)

  // A name typed, then another tab: asked; Stay keeps it.
  await page.locator('.n-tabs-tab').filter({ hasText: 'Directories' }).click()
  await name.fill('Okta')
  await page.locator('.n-tabs-tab').filter({ hasText: 'About' }).click()
  await page.getByTestId('unsaved-text').filter({ hasText: 'the directory connection' }).waitFor()
  await page.getByTestId('unsaved-stay').click()
  assert.equal(await name.inputValue(), 'Okta')

  // Another screen, then Save: the directory is connected and the screen stays, with the
  // token shown this once.
  await page.getByTestId('nav').getByText('Audit', { exact: true }).click()
  await page.getByTestId('unsaved-save').click()
  const made = page.getByTestId('directory-made')
  await made.waitFor()
  assert.match(await made.getByTestId('directory-token').locator('input').inputValue(), /^\S{32,}$/)
  assert.equal(await page.getByTestId('view-title').filter({ hasText: 'Audit' }).count(), 0, 'the screen changed under the token')
  await made.getByTestId('directory-made-done').click()
  await page.getByTestId('directories-table').locator('tr').filter({ hasText: 'Okta' }).waitFor()
  assert.deepEqual((await harness.call('app.SettingsService.DirectoryTokens')).map((d) => d.name), ['Okta'])

  // Connected: the form is clean, and leaving asks nothing.
  await app.nav('Audit')
  assert.equal(await page.getByTestId('unsaved-text').count(), 0)
  app.assertNoPageErrors()
})
