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
  // Typing on while that save travels to the portal: when it comes back with its new
  // version, the edit stays, and saving it is not refused as someone else's change.
  await shipping.getByLabel('Shipping address: Address line 2').fill('Goods entrance')
  await app.synced()
  await app.toastGone('The profile of Fairview Family Pantry is saved')
  await page.keyboard.press('Control+s')
  await app.toast('The profile of Fairview Family Pantry is saved')
  await app.synced()
  const orgs = await app.call('Organisations', { query: '', type: '', offset: 0, limit: 100 })
  const id = orgs.rows.find((o) => o.name === 'Fairview Family Pantry').id
  const p = await app.call('Organisation', id)
  assert.equal(p.organization.phone, '+44 1632 960 123')
  assert.equal(p.organization.shippingAddress.city, 'Fairview Junction')
  assert.equal(p.organization.shippingAddress.line2, 'Goods entrance')
  assert.equal(p.pending, false)

  // Edits are not dropped without asking. "Same as actual" asks before replacing an address
  // that is different; choosing another organisation asks to save, discard or stay.
  await shipping.getByLabel('Shipping address: Town or city').fill('Fairview Sidings')
  await page.getByTestId('org-shippingAddress').getByRole('button', { name: 'Same as actual' }).click()
  await page.getByTestId('confirm-text').filter({ hasText: 'The shipping address is' }).waitFor()
  await page.getByTestId('confirm-no').click()
  assert.equal(await shipping.getByLabel('Shipping address: Town or city').inputValue(), 'Fairview Sidings', 'kept when not confirmed')
  await page.getByTestId('org-item').filter({ hasText: 'Eastgate Food Bank' }).click()
  await page.getByTestId('unsaved-text').filter({ hasText: 'the profile of Fairview Family Pantry' }).waitFor()
  await app.shot('organisations-unsaved')
  await page.getByTestId('unsaved-stay').click()
  await profile.waitFor()
  assert.equal(await shipping.getByLabel('Shipping address: Town or city').inputValue(), 'Fairview Sidings', 'still there after Stay')
  await app.toastGone('The profile of Fairview Family Pantry is saved')
  await page.getByTestId('org-item').filter({ hasText: 'Eastgate Food Bank' }).click()
  await page.getByTestId('unsaved-save').click()
  await app.toast('The profile of Fairview Family Pantry is saved')
  await page.getByTestId('org-profile').filter({ hasText: 'Eastgate Food Bank' }).waitFor()
  await app.synced()
  assert.equal((await app.call('Organisation', id)).organization.shippingAddress.city, 'Fairview Sidings', 'saved on the way out')
  app.assertNoPageErrors()
})

test('organisations: an organisation role is added, renamed and deleted, each change reaching the server through the outbox', async (t) => {
  const app = await openDemo(t, { path: '/organisations' })
  if (!app) return
  const { page } = app
  await page.getByTestId('org-item').filter({ hasText: 'Eastgate Food Bank' }).click()
  const card = page.getByTestId('org-roles')
  await page.getByTestId('org-profile').filter({ hasText: 'Eastgate Food Bank' }).waitFor()
  const before = await card.getByTestId('org-role').count()
  const serverRole = async (name) => (await app.other('GET', '/api/v1/roles')).find((r) => r.name === name)

  // Added: shown at once as pending, then on the server.
  await page.getByTestId('org-role-new').fill('Van driver')
  await page.getByTestId('org-role-add').click()
  await app.toast('The role Van driver was added to Eastgate Food Bank')
  const role = card.locator('[data-testid="org-role"][data-name="Van driver"]')
  await role.waitFor()
  await app.synced()
  await role.locator('.n-badge').waitFor({ state: 'detached' })
  const made = await serverRole('Van driver')
  assert.ok(made, 'the role is on the server')
  assert.equal(made.scope, 'organization')
  assert.equal(await card.getByTestId('org-role').count(), before + 1)

  // Renamed from the keyboard.
  await role.getByTestId('org-role-rename').click()
  await page.getByTestId('org-role-name').fill('Delivery driver')
  await page.keyboard.press('Enter')
  await app.toast('The role Van driver is now called Delivery driver')
  const renamed = card.locator('[data-testid="org-role"][data-name="Delivery driver"]')
  await renamed.waitFor()
  await app.synced()
  assert.equal((await serverRole('Delivery driver'))?.id, made.id)
  await app.shot('organisations-roles')

  // Deleted after confirming.
  await renamed.getByTestId('org-role-delete').click()
  await page.getByTestId('confirm-text').filter({ hasText: 'Nobody can hold Delivery driver afterwards' }).waitFor()
  await app.confirm(true)
  await renamed.waitFor({ state: 'detached' })
  await app.synced()
  assert.equal(await serverRole('Delivery driver'), undefined, 'the role is gone from the server')
  assert.equal(await card.getByTestId('org-role').count(), before)

  // A name is needed.
  await page.getByTestId('org-role-add').click()
  await page.getByTestId('org-role-new-error').filter({ hasText: 'Give the role a name.' }).waitFor()
  app.assertNoPageErrors()
})
