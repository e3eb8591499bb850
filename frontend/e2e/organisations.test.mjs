// Organisations against the real App with the demo data: make and remove an organisation
// administrator, edit the profile (and see a bad phone number explained).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { openDemo } from './lib/demo.mjs'

test('organisations: make an organisation administrator, then remove them after confirming', async (t) => {
  const app = await openDemo(t, { path: '/organisations' })
  if (!app) return
  const { page } = app
  await page.getByTestId('org-item').filter({ hasText: 'Eastgate Food Bank' }).click()
  await page.getByTestId('org-profile').filter({ hasText: 'Eastgate Food Bank' }).waitFor()
  const users = page.getByTestId('org-users')
  const person = users.locator('[data-testid="org-user"][data-email^="ada.kowalski@"]')
  await person.waitFor()
  const sw = person.getByTestId('org-admin-switch')
  assert.equal(await sw.getAttribute('aria-checked'), 'false')
  await app.shot('organisations-profile')

  await sw.click()
  await app.toast('Ada Kowalski is now an organisation administrator')
  await person.locator('[data-testid="org-admin-switch"][aria-checked="true"]').waitFor()
  await app.synced()
  assert.equal((await app.user('ada.kowalski@')).orgAdmin, true)
  await page.getByTestId('org-item').filter({ hasText: 'Eastgate Food Bank' }).filter({ hasText: '1 administrator' }).waitFor()

  // Taking it away asks first.
  await sw.click()
  await page.getByTestId('confirm-text').filter({ hasText: 'will no longer be able to manage' }).waitFor()
  await app.confirm(true)
  await person.locator('[data-testid="org-admin-switch"][aria-checked="false"]').waitFor()
  await app.synced()
  assert.equal((await app.user('ada.kowalski@')).orgAdmin, false)
  app.assertNoPageErrors()
})

test('organisations: the profile is saved, and a bad phone number is explained at its field', async (t) => {
  const app = await openDemo(t, { path: '/organisations' })
  if (!app) return
  const { page } = app
  app.expectFailedCall('UpdateOrganisation')
  await page.getByTestId('org-item').filter({ hasText: 'Fairview Family Pantry' }).click()
  const profile = page.getByTestId('org-profile').filter({ hasText: 'Fairview Family Pantry' })
  await profile.waitFor()
  assert.equal(await page.getByTestId('org-save').isDisabled(), true, 'nothing to save yet')

  await page.getByTestId('org-phone').fill('call us!')
  await page.getByTestId('org-save').click()
  await profile.getByText('does not look like a phone number', { exact: false }).waitFor()
  await app.shot('organisations-bad-phone')

  await page.getByTestId('org-phone').fill('+44 1632 960 123')
  const shipping = page.getByTestId('org-shippingAddress')
  await shipping.getByLabel('Shipping address: Town or city').fill('Fairview Junction')
  await page.keyboard.press('Control+s')
  await app.toast('The profile of Fairview Family Pantry is saved')
  await app.synced()
  const orgs = await app.call('Organisations', { query: '', type: '', offset: 0, limit: 100 })
  const id = orgs.rows.find((o) => o.name === 'Fairview Family Pantry').id
  const p = await app.call('Organisation', id)
  assert.equal(p.organization.phone, '+44 1632 960 123')
  assert.equal(p.organization.shippingAddress.city, 'Fairview Junction')
  assert.equal(p.pending, false)
  app.assertNoPageErrors()
})
