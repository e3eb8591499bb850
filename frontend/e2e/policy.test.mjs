// Who may act on whom, as an organisation's administrator sees it: the real gatehouse-server
// with the demonstration data, oidc-provider as the identity provider, the real App in the
// harness signed in as Gina Hart, the administrator of Dunmore Community Pantry. Every action
// in the person drawer comes from the policy the server enforces: Sam Patel, a system
// administrator who belongs to Dunmore, cannot be deactivated, re-roled or made an
// organisation administrator by her, and the drawer says why; Hal Price, invited, offers a
// new link and withdrawing the invitation, never Deactivate.
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { shot, themedShots } from './lib/app.mjs'
import { launch } from './lib/browser.mjs'
import { frontendBuilt, frontendDir, startHarness } from './lib/harness.mjs'
import { chromiumPath, hasExecutable, need } from './lib/parts.mjs'
import { clientId, signInAtProvider, startPortal, startProvider } from './lib/portal.mjs'

const gina = 'gina.hart@dunmore.example.org'

test('policy: an organisation administrator meets a system administrator of her organisation and an invited person', { timeout: 240_000 }, async (t) => {
  if (!need(t, 'Chromium', hasExecutable(chromiumPath), "install Debian's chromium (apt-get install chromium) or set CHROMIUM")) return
  if (!need(t, 'oidc-provider', existsSync(join(frontendDir, 'node_modules', 'oidc-provider', 'package.json')), 'run npm ci in frontend/')) return
  if (!frontendBuilt()) throw new Error('frontend/dist/index.html is missing: run `npm run build` in frontend/ first')

  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-policy-e2e-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const issuer = await startProvider(t, dir)
  const portal = await startPortal(t, dir, issuer, { demo: true })

  const harness = await startHarness({ version: 'e2e', extraArgs: ['-keychain', 'memory'] })
  t.after(async () => {
    const code = await harness.stop()
    assert.equal(code, 0, `harness exited with ${code}:\n${harness.stderr()}`)
  })
  await harness.call('app.ConnectionService.UseEmbedded')
  await harness.call('app.SettingsService.SaveSignInSettings', { serverUrl: portal, issuer, clientId, scopes: '' })
  const browser = await launch()
  const page = browser.context.pages()[0] ?? (await browser.context.newPage())
  t.after(async () => {
    await shot(page, t.name).catch(() => {})
    await browser.close()
  })
  const pageErrors = []
  page.on('pageerror', (e) => pageErrors.push(e))
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(new Error(`console.error: ${m.text()} (${m.location().url})`))
  })

  // Gina signs in to the desktop through her organisation's identity provider. Her account
  // was made by an invitation she accepted with a password; the desktop's issuer is trusted
  // for administrators, so it links her identity.
  const start = await harness.call('app.SettingsService.BeginSignIn')
  const idp = await browser.context.newPage()
  assert.equal(await signInAtProvider(idp, start.authUrl, gina), 'You are signed in')
  await idp.close()
  const deadline = Date.now() + 30_000
  while (!(await harness.call('app.SettingsService.SessionState')).signedIn) {
    assert.ok(Date.now() < deadline, 'Gina is signed in within 30 s')
    await new Promise((r) => setTimeout(r, 200))
  }
  const sync = await harness.call('app.ConnectionService.SyncNow')
  assert.equal(sync.lastError, '')
  const actor = await harness.call('app.ConnectionService.CurrentActor')
  assert.equal(actor.kind, 'orgAdmin')
  assert.equal(actor.orgAdminOfName, 'Dunmore Community Pantry')

  await page.goto(new URL('#/users', harness.url).href)
  await page.getByTestId('nav').waitFor()
  const search = page.getByTestId('users-search')
  const drawer = page.getByTestId('user-drawer')
  const open = async (name) => {
    await search.fill(name)
    await page.getByTestId('users-count').filter({ hasText: /^1 person$/ }).waitFor()
    await page.getByText(name, { exact: true }).first().click()
    await drawer.getByTestId('drawer-title').filter({ hasText: name }).waitFor()
  }

  // The same drawer in the dark theme too (the toggle sits behind the drawer's mask, so the
  // drawer is closed, the theme switched and the drawer opened again), then light again.
  const darkShot = async (person, name) => {
    await page.keyboard.press('Escape')
    await drawer.waitFor({ state: 'detached' })
    await page.getByTestId('theme-toggle').click()
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark')
    await open(person)
    await page.waitForTimeout(400) // the drawer slides in, the background fades
    await shot(page, name)
    await page.keyboard.press('Escape')
    await drawer.waitFor({ state: 'detached' })
    await page.getByTestId('theme-toggle').click()
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'light')
    await open(person)
  }

  // Sam Patel: a system administrator of Dunmore. Nothing that changes him is allowed to
  // her, and the drawer says why in the server's words.
  await open('Sam Patel')
  const sam = (await harness.call('app.UsersService.SearchUsers', { query: 'Sam Patel', limit: 1 })).rows[0]
  const samDetail = await harness.call('app.UsersService.GetUser', sam.id)
  const refused = 'The account of Sam Patel is a system administrator, so only a system administrator can change it.'
  for (const a of ['deactivate', 'setRoles', 'makeOrgAdmin']) {
    const check = samDetail.actions.find((x) => x.action === a)
    assert.deepEqual({ ...check }, { action: a, allowed: false, reason: refused }, `${a} on Sam`)
  }
  await drawer.getByTestId('drawer-refusal').filter({ hasText: refused }).waitFor()
  const deactivate = drawer.getByTestId('drawer-deactivate')
  assert.equal(await deactivate.isDisabled(), true, 'Deactivate is disabled')
  assert.equal(await deactivate.getAttribute('data-refusal'), refused)
  assert.equal(await drawer.getByTestId('drawer-edit-roles').isDisabled(), true, 'Change roles is disabled')
  assert.equal(await drawer.locator('[data-testid="drawer-org-admin"].n-switch--disabled').count(), 1, 'the administrator switch is disabled')
  assert.equal(await drawer.getByTestId('drawer-reactivate').count(), 0, 'Reactivate does not apply to an active account')
  await shot(page, 'policy-org-admin-on-system-admin')
  await darkShot('Sam Patel', 'policy-org-admin-on-system-admin-dark')
  await page.keyboard.press('Escape')
  await drawer.waitFor({ state: 'detached' })

  // Hal Price: invited, waiting. A new link and withdrawing it are offered; Deactivate,
  // which the server always refuses for an invitation, is not.
  await open('Hal Price')
  await drawer.getByTestId('drawer-status').filter({ hasText: /invited/i }).waitFor()
  const resend = drawer.getByTestId('drawer-resend')
  await resend.waitFor()
  assert.equal(await resend.isDisabled(), false)
  assert.equal(await drawer.getByTestId('drawer-revoke').isDisabled(), false)
  assert.equal(await drawer.getByTestId('drawer-deactivate').count(), 0, 'no Deactivate for an invited person')
  assert.equal(await drawer.getByTestId('drawer-refusal').count(), 0, 'nothing refused')
  await shot(page, 'policy-org-admin-on-invited')
  await darkShot('Hal Price', 'policy-org-admin-on-invited-dark')

  // The new link, with an expiry she chooses (the portal's usual 7 days offered), goes
  // through the outbox to the server, which accepts it from her.
  await resend.click()
  const days = drawer.getByTestId('drawer-resend-days')
  await days.waitFor()
  assert.equal(await days.inputValue(), '7', "the portal's usual lifetime is offered")
  await days.fill('3')
  await days.press('Tab')
  const sentAt = Date.now()
  await drawer.getByTestId('drawer-resend-send').click()
  await page.getByText('A new invitation link goes to hal.price@dunmore.example.org, valid for 3 days').first().waitFor()
  const after = await harness.call('app.ConnectionService.SyncNow')
  assert.equal(after.lastError, '')
  assert.equal((await harness.call('app.ConnectionService.Conflicts')).length, 0, 'the server accepted the resend')
  const hal = (await harness.call('app.UsersService.SearchUsers', { query: 'Hal Price', limit: 1 })).rows[0]
  const halDetail = await harness.call('app.UsersService.GetUser', hal.id)
  assert.equal(halDetail.invitations.filter((i) => i.status === 'revoked').length, 1, 'the old link is dead')
  const live = halDetail.invitations.filter((i) => i.status === 'pending')
  assert.equal(live.length, 1, 'one live link')
  const lasts = (new Date(live[0].expiresAt).getTime() - sentAt) / 86_400_000
  assert.ok(lasts > 2.9 && lasts < 3.1, `the new link lasts 3 days, not ${lasts.toFixed(2)}`)

  // The portal's settings are the system administrators': she sees them, cannot save them,
  // and is told where her organisation's own details are; a save through the App is
  // refused at once, before anything is queued.
  await page.goto(new URL('#/settings', harness.url).href)
  await page.locator('.n-tabs-tab').filter({ hasText: 'Portal' }).click()
  await page.getByTestId('portal-settings-read-only').filter({ hasText: 'Organisations → Dunmore Community Pantry' }).waitFor()
  assert.equal(await page.getByTestId('portal-save').isDisabled(), true, 'Save is disabled')
  const view = await harness.call('app.SettingsService.PortalSettings')
  await assert.rejects(harness.call('app.SettingsService.SavePortalSettings', { ...view.settings, productName: 'Gina Portal' }), /Only a system administrator can change the portal settings/)
  assert.equal((await harness.call('app.ConnectionService.PendingChanges')).length, 0, 'nothing was queued')
  await themedShots(page, 'policy-org-admin-portal-settings')
  const expected = pageErrors.filter((e) => !String(e).includes('/bridge/call/app.SettingsService.SavePortalSettings'))
  pageErrors.length = 0
  pageErrors.push(...expected)

  assert.deepEqual(pageErrors.map(String), [], 'the page reported errors')
})
