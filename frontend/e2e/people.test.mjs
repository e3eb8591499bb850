// Adding organisations and people by hand, on an empty local portal: the empty screens say
// what to do first; a new organisation; people added by e-mail, each address checked as
// typed; "later" adds them without mail, "now" e-mails the invitations through the
// harness's go-smtp sink, with links at the portal's public address.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { openApp, themedShots } from './lib/app.mjs'

test('people: a new organisation, then people added by e-mail, invited later or now', async (t) => {
  const app = await openApp(t)
  if (!app) return
  const { page, harness } = app
  const info = await harness.info()
  await page.getByTestId('first-run-name').fill('Ann Reed')
  await page.getByTestId('first-run-email').fill('ann.reed@example.org')
  await page.getByTestId('first-run-empty').click()
  await page.getByTestId('first-run').waitFor({ state: 'detached' })
  await app.nav('Organisations')

  // An empty portal says what to do first.
  await page.getByTestId('org-none').filter({ hasText: 'No organisations yet' }).waitFor()

  // A new organisation: shown and chosen at once.
  await page.getByTestId('org-new').click()
  await page.getByTestId('org-new-dialog').waitFor()
  await page.getByTestId('org-new-create').click()
  await page.getByTestId('org-new-dialog').getByText('Give the organisation a name').waitFor()
  await page.getByTestId('org-new-name').fill('Eastgate Pantry')
  await page.getByTestId('org-new-dialog').getByText('Give the organisation a name').waitFor({ state: 'detached' })
  await themedShots(page, 'organisations-new')
  await page.getByTestId('org-new-create').click()
  await page.getByTestId('org-profile').filter({ hasText: 'Eastgate Pantry' }).waitFor()
  await page.getByTestId('org-item').filter({ hasText: 'Eastgate Pantry' }).waitFor()

  // Add users: each address checked as typed; a wrong one holds the list back.
  await page.getByTestId('org-add-users').click()
  const dialog = page.getByTestId('add-users')
  await dialog.waitFor()
  await page.getByTestId('add-users-emails').fill('ann.reed@eastgate.example.org\nnot an address\nbob.lane@eastgate.example.org')
  const checks = page.getByTestId('add-users-check')
  await checks.nth(2).waitFor()
  assert.match(await checks.nth(0).textContent(), /ann\.reed@eastgate\.example\.org — New contact, named “ann\.reed”/)
  assert.match(await checks.nth(1).textContent(), /not an address — .*not/)
  assert.equal(await page.getByTestId('add-users-submit').isDisabled(), true, 'a wrong address holds the list back')
  await themedShots(page, 'organisations-add-users')
  // Esc with addresses typed asks first; Keep editing keeps them.
  await page.keyboard.press('Escape')
  await page.getByTestId('confirm-text').filter({ hasText: 'The 3 addresses typed will be lost.' }).waitFor()
  await themedShots(page, 'organisations-add-users-close')
  await page.getByTestId('confirm-no').click()
  await page.getByTestId('confirm-text').waitFor({ state: 'detached' })
  assert.ok(await dialog.isVisible(), 'the dialog stays open')
  assert.match(await page.getByTestId('add-users-emails').inputValue(), /bob\.lane@eastgate\.example\.org/)
  await page.getByTestId('add-users-emails').fill('ann.reed@eastgate.example.org\nbob.lane@eastgate.example.org')
  await page.getByTestId('add-users-submit').filter({ hasText: 'Add 2 people' }).waitFor()
  await page.getByTestId('add-users-later').click()
  await page.getByTestId('add-users-submit').click()
  await page.getByText(/^2 added: 2 new, 0 matched. Their invitations wait in the batch “Added to Eastgate Pantry, .*”: send it from Invitations → Batches when you are ready.$/).waitFor()
  assert.equal((await harness.mail()).length, 0, 'nobody was e-mailed')

  // From Users: the same dialog, with the organisation to choose; Ann is a contact now.
  await harness.call('app.InvitationsService.SaveSMTPSettings', { host: info.smtpHost, port: Number(info.smtpPort), security: 'none', username: '', from: 'Eastgate <portal@eastgate.example.org>', ratePerSecond: 0, hasPassword: false }, '')
  await app.nav('Users')
  await page.getByText('Nobody here yet.', { exact: false }).waitFor()
  await page.getByTestId('users-add').click()
  await dialog.waitFor()
  await page.getByTestId('add-users-org').click()
  await page.locator('.n-base-select-option').filter({ hasText: 'Eastgate Pantry' }).click()
  await page.getByTestId('add-users-emails').fill('Ann.Reed@eastgate.example.org, cy.moss@eastgate.example.org')
  await checks.nth(1).waitFor()
  assert.match(await checks.nth(0).textContent(), /Ann\.Reed@eastgate\.example\.org — ann\.reed: already a contact here, matched/)
  await page.getByTestId('add-users-now').click()

  // Now, while the local portal's links point at this computer: refused, with what to do.
  await page.getByTestId('add-users-submit').click()
  await page.getByTestId('add-users-error').filter({ hasText: 'public address' }).waitFor()
  const view = await harness.call('app.SettingsService.PortalSettings')
  await harness.call('app.SettingsService.SavePortalSettings', { ...view.settings, publicUrl: 'https://portal.eastgate.example.org' })
  await page.getByTestId('add-users-submit').click()
  await page.getByText('2 added: 1 new, 1 matched. 2 invited: the portal e-mails each their link.').waitFor()
  const mail = (await harness.mail())
  assert.deepEqual(mail.map((m) => m.to[0].toLowerCase()).sort(), ['ann.reed@eastgate.example.org', 'cy.moss@eastgate.example.org'], 'both were invited')
  for (const m of mail) assert.match(m.text, /https:\/\/portal\.eastgate\.example\.org\/invite\//)

  // The refusals asked for above (a nameless organisation, invitations with dead links).
  const expected = app.pageErrors.filter((e) => !/\/bridge\/call\/app\.OrganisationsService\.(AddUsers|CreateOrganisation)\b/.test(String(e)))
  assert.deepEqual(expected.map(String), [], 'the page reported errors')
})
