// The directory journey (SCIM), against a real portal server: the administrator connects
// "Microsoft Entra ID" from the desktop and copies its token; the directory (this test,
// sending the requests Entra sends) looks Sam up, creates him and puts him in the Staff
// group. After sync the desktop shows him, from the directory. Sam signs in on the portal
// with his organisation's account. The directory deactivates him: the desktop shows it, his
// next sign-in is refused, and the audit log names the directory for each step. Last, the
// administrator disconnects the directory and its token is refused.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { shot, themedShots } from './lib/app.mjs'
import { connectDesktop, portalSignIn } from './lib/portal.mjs'
import { startJourney } from './lib/journey.mjs'

const sam = 'sam@example.org'

test('journey (SCIM): a directory creates a person who signs in, then deactivates them', { timeout: 300_000 }, async (t) => {
  const j = await startJourney(t, 'scim')
  if (!j) return
  const { issuer } = j
  const harness = await j.desktop()
  const portal = await j.portal({ extraArgs: ['--sso-issuer', issuer, '--sso-client-id', 'gatehouse-portal'] })
  const page = await j.browser()
  const errors = []
  page.on('pageerror', (e) => errors.push(e))
  const nav = async (label) => {
    await page.getByTestId('nav').getByText(label, { exact: true }).click()
    await page.getByTestId('view-title').filter({ hasText: label }).waitFor()
  }

  // ---- The administrator connects the desktop, then the directory.
  await page.goto(harness.url)
  await connectDesktop(page, { portal, issuer, login: 'admin@example.org' })
  await page.locator('.n-tabs-tab').filter({ hasText: 'Directories' }).click()
  await page.getByTestId('directories-table').getByText('No directory is connected yet.').waitFor()
  await page.getByTestId('directory-name').locator('input').fill('Microsoft Entra ID')
  await page.getByTestId('directory-connect').click()
  const made = page.getByTestId('directory-made')
  await made.waitFor()
  const base = await made.getByTestId('directory-url').locator('input').inputValue()
  const token = await made.getByTestId('directory-token').locator('input').inputValue()
  assert.equal(base, portal + '/scim/v2')
  assert.match(token, /^\S{32,}$/)
  await themedShots(page, 'settings-directory-connected')
  await made.getByTestId('directory-made-done').click()
  await made.waitFor({ state: 'detached' })
  const row = page.getByTestId('directories-table').locator('tr').filter({ hasText: 'Microsoft Entra ID' })
  await row.filter({ hasText: 'Not yet' }).filter({ hasText: 'Connected' }).waitFor()

  // ---- The directory provisions Sam, as Entra does: look him up, create him, add him to a group.
  const scim = async (method, path, body) => {
    const r = await fetch(base + path, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/scim+json' },
      body: body && JSON.stringify(body),
    })
    assert.match(r.headers.get('content-type') ?? 'application/scim+json', /^application\/scim\+json/)
    return { status: r.status, body: r.status === 204 ? null : await r.json() }
  }
  const none = await scim('GET', '/Users?filter=' + encodeURIComponent(`userName eq "${sam}"`))
  assert.equal(none.status, 200)
  assert.equal(none.body.totalResults, 0)
  const created = await scim('POST', '/Users', {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
    externalId: '5e1b6f3a-0c2d-4d7e-9b1a-2f0c4a7d9e11',
    userName: sam,
    active: true,
    emails: [{ primary: true, type: 'work', value: sam }],
    name: { formatted: 'Sam Rivera', givenName: 'Sam', familyName: 'Rivera' },
    title: 'Pantry coordinator',
  })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  const id = created.body.id
  const group = await scim('GET', '/Groups?excludedAttributes=members&filter=' + encodeURIComponent('displayName eq "Staff"'))
  assert.equal(group.body.totalResults, 1)
  const joined = await scim('PATCH', `/Groups/${group.body.Resources[0].id}`, {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
    Operations: [{ op: 'Add', path: 'members', value: [{ $ref: null, value: id }] }],
  })
  assert.equal(joined.status, 204, JSON.stringify(joined.body))

  // ---- After sync, the desktop shows Sam: an active staff user from the directory.
  await harness.call('app.ConnectionService.SyncNow')
  await nav('Users')
  await page.getByTestId('users-search').fill(sam)
  await page.getByTestId('users-count').filter({ hasText: '1 person' }).waitFor()
  await page.locator('.vt-row').filter({ hasText: 'Sam Rivera' }).filter({ hasText: 'Active' }).filter({ hasText: 'Staff' }).waitFor()
  // His record says where he came from.
  await page.getByTestId('cell-name').first().click()
  const drawer = page.getByTestId('user-drawer')
  await drawer.getByTestId('drawer-title').filter({ hasText: 'Sam Rivera' }).waitFor()
  await drawer.getByRole('cell', { name: 'Microsoft Entra ID' }).waitFor()
  await drawer.getByText('Provisioned by Microsoft Entra ID').waitFor()
  await themedShots(page, 'journey-scim-user-drawer')
  await page.keyboard.press('Escape')
  await drawer.waitFor({ state: 'detached' })

  // ---- Sam signs in on the portal with his organisation's account.
  const web = await j.browser()
  await portalSignIn(web, portal, sam)
  await web.getByText('You are signed in as').waitFor()
  await shot(web, 'journey-scim-signed-in')

  // ---- The directory deactivates him (Entra's PATCH, "False" as a string).
  const off = await scim('PATCH', `/Users/${id}`, {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
    Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
  })
  assert.equal(off.status, 200, JSON.stringify(off.body))
  assert.equal(off.body.active, false)
  await harness.call('app.ConnectionService.SyncNow')
  await page.locator('.vt-row').filter({ hasText: 'Sam Rivera' }).filter({ hasText: 'Deactivated' }).waitFor()

  // His next sign-in is refused.
  const again = await j.browser()
  await portalSignIn(again, portal, sam)
  await again.getByText('Your account has been deactivated').waitFor()

  // ---- The audit log names the directory for what it did.
  await nav('Audit')
  const log = (await harness.call('app.AuditService.AuditLog', { entityType: '', entityId: id, actorId: '', action: '', organizationId: '', from: null, to: null, offset: 0, limit: 50 })).rows
  const actions = log.map((e) => `${e.action} by ${e.actorName}`).reverse()
  for (const want of ['account.provision by Microsoft Entra ID', 'account.set_roles by Microsoft Entra ID', 'account.deactivate by Microsoft Entra ID']) {
    assert.ok(actions.includes(want), `the log has "${want}": ${actions.join('; ')}`)
  }
  await page.locator('[data-testid="audit-row"][data-action="account.provision"]').filter({ hasText: 'Microsoft Entra ID' }).filter({ hasText: 'Sam Rivera' }).waitFor()
  await themedShots(page, 'journey-scim-audit')

  // ---- The administrator disconnects the directory: it was used, and its token is refused now.
  await nav('Settings')
  await page.locator('.n-tabs-tab').filter({ hasText: 'Directories' }).click()
  const used = page.getByTestId('directories-table').locator('tr').filter({ hasText: 'Microsoft Entra ID' })
  await used.waitFor()
  assert.ok(!(await used.textContent()).includes('Not yet'), 'its last use is shown')
  await used.getByTestId('directory-revoke').click()
  await page.getByTestId('directory-revoke-dialog').getByTestId('directory-revoke-confirm').click()
  await page.getByText('Microsoft Entra ID is disconnected').first().waitFor()
  await used.filter({ hasText: 'Revoked' }).waitFor()
  await themedShots(page, 'settings-directories')
  const refused = await scim('GET', '/Users')
  assert.equal(refused.status, 401)
  assert.match(refused.body.detail, /revoked/)
  assert.deepEqual(errors.map(String), [], 'the desktop reported errors')
})
