// The Creatio journey ("add users by e-mail, send the invitations now or later"), from the
// first click to a new organisation administrator's own work, against a real portal server:
// oidc-provider as the identity provider, gatehouse-server with a go-smtp sink (the first
// harness's) as its mail server, and three desktops — the system administrator's, Olivia's
// (an organisation administrator) and, later, Noah's.
//
// Olivia adds three people to her organisation by e-mail: one is already a contact, two are
// new, and a mistyped address is refused with the reason. She chooses "later", then sends
// the invitations as a batch. Noah and Mia follow the links in their e-mail and set a
// password. Olivia makes Noah an organisation administrator; Noah signs in to his own
// desktop and deactivates and reactivates Mia. The audit log names who did each step.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { shot, themedShots } from './lib/app.mjs'
import { acceptWithPassword, connectDesktop, linkIn } from './lib/portal.mjs'
import { startJourney } from './lib/journey.mjs'

const olivia = 'olivia@northfield.example.org'
const noah = 'noah@northfield.example.org'
const mia = 'mia@northfield.example.org'
const zoe = 'zoe@northfield.example.org'

const usersQuery = (query) => ({
  query, status: [], kind: '', role: '', organizationId: '', orgAdmin: null, lastLogin: '', ghost: false,
  pendingOnly: false, offset: 0, limit: 10, sort: 'name', desc: false,
})

test('journey (Creatio): an organisation administrator adds users by e-mail, invites them later, and appoints one who then manages a member', { timeout: 420_000 }, async (t) => {
  const j = await startJourney(t, 'creatio')
  if (!j) return
  const { issuer } = j
  const desktop = j.desktop
  // Every message, from the portal and from the desktops' batches, reaches one sink.
  const admins = await desktop()
  const sink = await admins.info()
  const portal = await j.portal({
    extraArgs: ['--smtp-host', sink.smtpHost, '--smtp-port', sink.smtpPort, '--smtp-security', 'none',
      '--mail-from', 'Northfield Pantry <portal@northfield.example.org>'],
  })
  // The address people reach the portal at (a name Chromium resolves to this computer).
  const publicUrl = `http://portal.gatehouse.test:${new URL(portal).port}`

  const open = j.browser
  const watch = (page) => {
    const errors = []
    page.on('pageerror', (e) => errors.push(e))
    return errors
  }
  const nav = async (page, label) => {
    await page.getByTestId('nav').getByText(label, { exact: true }).click()
    await page.getByTestId('view-title').filter({ hasText: label }).waitFor()
  }
  const openUser = async (page, email, name) => {
    await nav(page, 'Users')
    await page.getByTestId('users-search').fill(email)
    await page.getByTestId('users-count').filter({ hasText: '1 person' }).waitFor()
    await page.getByTestId('cell-name').first().click()
    const drawer = page.getByTestId('user-drawer')
    await drawer.getByTestId('drawer-title').filter({ hasText: name }).waitFor()
    return drawer
  }
  const toast = (page, text) => page.locator('.n-message').filter({ hasText: text }).first().waitFor()

  // ---- Before the journey: the system administrator names the portal, makes the
  // organisation with a role and one contact (Mia), and invites Olivia, who accepts and is
  // made the organisation's administrator.
  const sysPage = await open()
  await sysPage.goto(admins.url)
  await connectDesktop(sysPage, { portal, issuer, login: 'admin@example.org' })
  const view = await admins.call('app.SettingsService.PortalSettings')
  await admins.call('app.SettingsService.SavePortalSettings', { ...view.settings, productName: 'Northfield Community Pantry', publicUrl })
  const org = (await admins.call('app.OrganisationsService.CreateOrganisation', { name: 'Northfield Pantry', type: 'pantry' })).organization
  await admins.call('app.ConnectionService.SyncNow')
  await admins.call('app.OrganisationsService.CreateOrgRole', org.id, 'Drivers')
  await admins.call('app.OrganisationsService.AddUsers', { organizationId: org.id, emails: [mia], roles: [], inviteNow: false, expiresInDays: 0 })
  await admins.call('app.OrganisationsService.AddUsers', { organizationId: org.id, emails: [olivia], roles: [], inviteNow: true, expiresInDays: 0 })
  const oliviaMail = await admins.mailTo(olivia)
  await acceptWithPassword(await open(), linkIn(oliviaMail.text, `${publicUrl}/invite/`))
  await admins.call('app.ConnectionService.SyncNow')
  const oliviaAcc = (await admins.call('app.UsersService.SearchUsers', usersQuery(olivia))).rows[0]
  await admins.call('app.UsersService.SetOrgAdmin', oliviaAcc.id, true)
  await admins.call('app.ConnectionService.SyncNow')

  // ---- 1. Olivia signs in to her desktop with her organisation's account.
  const oliviaDesk = await desktop()
  const page = await open()
  const errors = watch(page)
  await page.goto(oliviaDesk.url)
  await connectDesktop(page, { portal, issuer, login: olivia })
  // Her desktop sends batches through the organisation's mail server (here, the sink).
  await oliviaDesk.call('app.InvitationsService.SaveSMTPSettings', {
    host: sink.smtpHost, port: Number(sink.smtpPort), security: 'none', username: '',
    from: 'Northfield Pantry <portal@northfield.example.org>', ratePerSecond: 0, hasPassword: false,
  }, '')

  // ---- 2. Organisations → Northfield Pantry → Add users: each address checked as typed.
  await nav(page, 'Organisations')
  await page.getByTestId('org-item').filter({ hasText: 'Northfield Pantry' }).click()
  await page.getByTestId('org-profile').filter({ hasText: 'Northfield Pantry' }).waitFor()
  await page.getByTestId('org-add-users').click()
  const dialog = page.getByTestId('add-users')
  await dialog.waitFor()
  await page.getByTestId('add-users-emails').fill(`${mia}\n${noah}\nzoe.northfield.example.org\n${zoe}`)
  const checks = page.getByTestId('add-users-check')
  await checks.nth(3).waitFor()
  assert.match(await checks.nth(0).textContent(), new RegExp(`${mia} — mia: already a contact here, matched`))
  assert.match(await checks.nth(1).textContent(), new RegExp(`${noah} — New contact, named “noah”`))
  const refused = await checks.nth(2).textContent()
  assert.match(refused, /zoe\.northfield\.example\.org — .*@/, `the mistyped address is refused with the reason: ${refused}`)
  assert.equal(await page.getByTestId('add-users-submit').isDisabled(), true, 'a wrong address holds the list back')
  await themedShots(page, 'journey-creatio-add-users')
  await page.getByTestId('add-users-emails').fill(`${mia}\n${noah}\n${zoe}`)
  await page.getByTestId('add-users-submit').filter({ hasText: 'Add 3 people' }).waitFor()
  await dialog.getByTestId('add-users-role-Drivers').click()
  await page.getByTestId('add-users-later').click()
  await page.getByTestId('add-users-submit').click()
  const added = page.locator('.n-message').filter({ hasText: '3 added: 2 new, 1 matched.' })
  await added.waitFor()
  const batchName = /the batch “([^”]+)”/.exec(await added.textContent())?.[1]
  assert.ok(batchName?.startsWith('Added to Northfield Pantry, '), `the message names the batch: ${await added.textContent()}`)
  assert.equal((await admins.mail()).length, 1, 'only Olivia’s own invitation so far: "later" e-mails nobody')

  // ---- 3. Later: Invitations → Batches, the batch of these three, confirmed and sent.
  await nav(page, 'Invitations')
  await page.getByTestId('batch-list').getByText(batchName, { exact: true }).click()
  await page.getByTestId('batch-detail').locator('h3').filter({ hasText: batchName }).waitFor()
  await page.getByTestId('batch-counts').filter({ hasText: '3 to send' }).waitFor()
  await page.getByTestId('send-batch').click()
  await page.getByTestId('confirm-text').filter({ hasText: '3 people will be e-mailed' }).waitFor()
  await page.getByTestId('confirm-yes').click()
  await page.getByTestId('progress-text').filter({ hasText: '3 of 3' }).waitFor({ timeout: 60_000 })
  await page.getByTestId('batch-state').filter({ hasText: 'Finished' }).waitFor()
  await themedShots(page, 'journey-creatio-batch-sent')
  const [toNoah, toMia] = [await admins.mailTo(noah), await admins.mailTo(mia)]
  await admins.mailTo(zoe)
  assert.match(toNoah.subject, /Northfield Community Pantry/)

  // ---- 4. Noah and Mia follow their links and set a password; each is signed in.
  const noahWeb = await open()
  await acceptWithPassword(noahWeb, linkIn(toNoah.text, `${publicUrl}/invite/`))
  await noahWeb.getByText(noah).first().waitFor()
  await shot(noahWeb, 'journey-creatio-noah-signed-in')
  await acceptWithPassword(await open(), linkIn(toMia.text, `${publicUrl}/invite/`))

  // The invitations carried the role Olivia chose.
  await oliviaDesk.call('app.ConnectionService.SyncNow')
  const noahAcc = (await oliviaDesk.call('app.UsersService.SearchUsers', usersQuery(noah))).rows[0]
  assert.equal(noahAcc.status, 'active')
  assert.equal(noahAcc.additionalRoles.length, 1, `Noah's roles: ${noahAcc.additionalRoles}`)

  // ---- 5. Olivia makes Noah an organisation administrator, from his drawer.
  const drawer = await openUser(page, noah, 'noah')
  await drawer.getByTestId('drawer-roles').filter({ hasText: 'Drivers' }).waitFor()
  await drawer.getByTestId('drawer-org-admin').click()
  await toast(page, 'noah is now an organisation administrator')
  await oliviaDesk.call('app.ConnectionService.SyncNow')
  await page.getByTestId('status-pending').filter({ hasText: 'Pending changes: 0' }).waitFor()
  assert.deepEqual(errors.map(String), [], 'Olivia’s desktop reported errors')

  // ---- 6. Noah signs in to his own desktop and deactivates, then reactivates, Mia.
  const noahDesk = await desktop()
  const noahPage = await open()
  const noahErrors = watch(noahPage)
  await noahPage.goto(noahDesk.url)
  await connectDesktop(noahPage, { portal, issuer, login: noah })
  const miaDrawer = await openUser(noahPage, mia, 'mia')
  await miaDrawer.getByTestId('drawer-deactivate').click()
  await noahPage.getByTestId('confirm-text').filter({ hasText: 'will not be able to sign in' }).waitFor()
  await noahPage.getByTestId('confirm-yes').click()
  await toast(noahPage, 'mia is deactivated')
  await miaDrawer.getByTestId('drawer-status').filter({ hasText: 'Deactivated' }).waitFor()
  await noahDesk.call('app.ConnectionService.SyncNow')
  await miaDrawer.getByTestId('drawer-reactivate').click()
  await toast(noahPage, 'mia can sign in again')
  await miaDrawer.getByTestId('drawer-status').filter({ hasText: 'Active' }).waitFor()
  await noahDesk.call('app.ConnectionService.SyncNow')
  await noahPage.getByTestId('status-pending').filter({ hasText: 'Pending changes: 0' }).waitFor()

  // ---- 7. The audit log, on Noah's desktop, names who did each step.
  await noahPage.keyboard.press('Escape')
  await nav(noahPage, 'Audit')
  const log = (await noahDesk.call('app.AuditService.AuditLog', { entityType: '', entityId: '', actorId: '', action: '', organizationId: '', from: null, to: null, offset: 0, limit: 200 })).rows
  const who = (action, about) => log.filter((e) => e.action === action && JSON.stringify(e.after ?? e.before ?? {}).includes(about)).map((e) => e.actorName)
  assert.deepEqual(who('contact.create', noah), ['Olivia'], 'Olivia added Noah as a contact')
  assert.deepEqual(who('contact.create', zoe), ['Olivia'], 'Olivia added Zoe as a contact')
  for (const email of [mia, noah, zoe]) assert.deepEqual(who('invitation.create', email), ['Olivia'], `Olivia invited ${email}`)
  assert.equal(who('invitation.accept', noah).length, 1, 'Noah accepted his invitation')
  assert.deepEqual(who('account.set_org_admin', noah), ['Olivia'], 'Olivia made Noah an organisation administrator')
  assert.deepEqual(who('account.deactivate', mia), ['Noah'], 'Noah deactivated Mia')
  assert.deepEqual(who('account.reactivate', mia), ['Noah'], 'Noah reactivated Mia')
  // The same on screen: the newest rows are Noah's.
  const rows = noahPage.getByTestId('audit-row')
  const row = (action, actor, about) =>
    noahPage.locator(`[data-testid="audit-row"][data-action="${action}"]`).filter({ hasText: actor }).filter({ hasText: about }).waitFor()
  await row('account.reactivate', 'Noah', 'Account mia')
  await row('account.deactivate', 'Noah', 'Account mia')
  await row('account.set_org_admin', 'Olivia', 'Account noah')
  assert.ok((await rows.count()) >= 8)
  await themedShots(noahPage, 'journey-creatio-audit')
  assert.deepEqual(noahErrors.map(String), [], 'Noah’s desktop reported errors')
})
