// The Users screen against the real App with the demo data: search as you type from the
// keyboard, the detail drawer, deactivate and reactivate, a bulk action with per-person
// results, and the ghost-account fix.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { openDemo, query } from './lib/demo.mjs'
import { expectURL } from './lib/browser.mjs'
import { themedShots } from './lib/app.mjs'

const names = (page) => page.getByTestId('cell-name').allTextContents()

test('users: / searches as you type, Enter opens the drawer with the full record, Esc closes it', async (t) => {
  const app = await openDemo(t)
  if (!app) return
  const { page } = app
  await page.getByTestId('users-count').filter({ hasText: /^\d+ people$/ }).waitFor()
  const all = Number((await page.getByTestId('users-count').textContent()).replace(/\D/g, ''))
  assert.ok(all >= 70, `the demo has people (${all})`)
  await themedShots(page, 'users-table')

  await page.keyboard.press('/')
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'users-search')
  await page.keyboard.type('harriet')
  await page.getByTestId('users-count').filter({ hasText: '1 person' }).waitFor()
  assert.deepEqual(await names(page), ['Harriet Cole'])

  // ↓ moves into the list, Enter opens the first person.
  await page.keyboard.press('ArrowDown')
  await page.keyboard.press('Enter')
  const drawer = page.getByTestId('user-drawer')
  await drawer.getByTestId('drawer-title').filter({ hasText: 'Harriet Cole' }).waitFor()
  const text = await drawer.textContent()
  for (const want of ['harriet.cole@ashby.example.org', 'Ashby Parish Council', 'Pending approval', 'Account source', 'ashby.example.org', 'History']) {
    assert.ok(text.includes(want), `the drawer shows ${want}`)
  }
  await drawer.getByTestId('drawer-history').getByText('Signed up', { exact: false }).first().waitFor()
  await app.shot('users-drawer')
  await page.keyboard.press('Escape')
  await drawer.waitFor({ state: 'detached' })

  // A filter narrows the list and shows as a removable chip; the address keeps it.
  await page.getByTestId('users-search').fill('')
  await page.getByTestId('users-count').filter({ hasText: `${all} people` }).waitFor()
  await page.getByTestId('filter-kind').click()
  await page.locator('.n-base-select-option').filter({ hasText: /^Staff users$/ }).click()
  const staff = await app.call('SearchUsers', { ...query(), kind: 'staff' })
  await page.getByTestId('users-count').filter({ hasText: `${staff.total} people` }).waitFor()
  assert.ok((await names(page)).includes('Alex Morgan'))
  await expectURL(page, /kind=staff/)

  // Two statuses and an organisation: the status box shows the first and a count of the
  // rest, every choice is a chip, and the list is what the Go side answers for them.
  await page.getByTestId('filter-status').click()
  for (const label of ['Active', 'Invited']) await page.locator('.n-base-select-option').filter({ hasText: new RegExp(`^${label}$`) }).click()
  await page.keyboard.press('Escape')
  await page.getByTestId('filter-org').click()
  await page.locator('.n-base-select-option').filter({ hasText: /^Ashby Parish Council$/ }).click()
  const ashby = (await app.call('Organisations', { limit: 1000 })).rows.find((o) => o.name === 'Ashby Parish Council')
  const narrowed = await app.call('SearchUsers', { ...query(), kind: 'staff', status: ['active', 'invited'], organizationId: ashby.id })
  await page.getByTestId('users-count').filter({ hasText: new RegExp(`^${narrowed.total} (people|person)$`) }).waitFor()
  await expectURL(page, /org=/)
  const chips = await page.locator('.chips .n-tag').allTextContents()
  assert.ok(chips.some((c) => c.includes('Ashby Parish Council')) && chips.some((c) => c.includes('Active')), `chips: ${chips.join(' | ')}`)
  await page.getByTestId('filter-status').getByText('+1').waitFor()
  await themedShots(page, 'users-filters')
  await page.getByText('Clear all').click()
  await page.getByTestId('users-count').filter({ hasText: `${all} people` }).waitFor()
  await page.getByTestId('filter-kind').click()
  await page.locator('.n-base-select-option').filter({ hasText: /^Staff users$/ }).click()
  await page.getByTestId('users-count').filter({ hasText: `${staff.total} people` }).waitFor()

  // Esc in the search box clears it.
  await page.keyboard.press('/')
  await page.keyboard.type('nobody-matches-this')
  await page.getByTestId('users-count').filter({ hasText: '0 people' }).waitFor()
  await page.keyboard.press('Escape')
  assert.equal(await page.getByTestId('users-search').inputValue(), '')
  await page.getByTestId('users-count').filter({ hasText: `${staff.total} people` }).waitFor()
  app.assertNoPageErrors()
})


// The demo's people have a past, and their record and their history tell it alike: the
// moment the drawer says the account was created is the first entry in their history (here
// their sign-up), and their last sign-in there is their last login.
test('users: a demo person signed up on the day their history begins', async (t) => {
  const app = await openDemo(t)
  if (!app) return
  const { page } = app
  await page.getByTestId('users-search').fill('grace chowdhury')
  await page.getByTestId('users-count').filter({ hasText: '1 person' }).waitFor()
  await page.getByTestId('cell-name').first().click()
  const drawer = page.getByTestId('user-drawer')
  const entries = drawer.getByTestId('drawer-history').locator('.n-collapse-item__header')
  await entries.last().waitFor()
  const signedUp = (await drawer.locator('.n-descriptions-table-row').filter({ hasText: 'Account created' }).locator('.n-descriptions-table-content').innerText()).trim()
  const texts = (await entries.allInnerTexts()).map((x) => x.replace(/\s+/g, ' ').trim())
  assert.match(texts.at(-1), /^Signed up by Grace Chowdhury · /)
  assert.equal(texts.at(-1).split(' · ')[1], signedUp, `the drawer says signed up ${signedUp}; the history begins ${texts.at(-1)}`)
  assert.notEqual(new Date(signedUp).toDateString(), new Date().toDateString(), 'a demo client joined months ago, not today')
  assert.match(texts[0], /^Signed in by Grace Chowdhury · /, 'the newest entry is the last sign-in')
  app.assertNoPageErrors()
})
test('users: deactivate asks first, then reactivate, both reach the server', async (t) => {
  const app = await openDemo(t)
  if (!app) return
  const { page } = app
  const person = await app.user('ada.abbott@')
  assert.equal(person.status, 'active')
  await page.getByTestId('users-search').fill('ada.abbott')
  await page.getByTestId('users-count').filter({ hasText: '1 person' }).waitFor()
  await page.getByTestId('cell-name').first().click()
  const drawer = page.getByTestId('user-drawer')
  await drawer.getByTestId('drawer-title').filter({ hasText: 'Ada Abbott' }).waitFor()

  await drawer.getByTestId('drawer-deactivate').click()
  await page.getByTestId('confirm-text').filter({ hasText: 'will not be able to sign in' }).waitFor()
  await app.confirm(false) // cancel: nothing happens
  assert.equal((await app.user('ada.abbott@')).status, 'active')

  await drawer.getByTestId('drawer-deactivate').click()
  await app.confirm(true)
  await app.toast('Ada Abbott is deactivated')
  await drawer.getByTestId('drawer-status').filter({ hasText: 'Deactivated' }).waitFor()
  await app.synced()
  let u = await app.user('ada.abbott@')
  assert.equal(u.status, 'deactivated')
  assert.equal(u.pending, false)
  await page.locator('.vt-row').filter({ hasText: 'Ada Abbott' }).filter({ hasText: 'Deactivated' }).waitFor()

  await drawer.getByTestId('drawer-reactivate').click()
  await app.toast('Ada Abbott can sign in again')
  await drawer.getByTestId('drawer-status').filter({ hasText: 'Active' }).waitFor()
  await app.synced()
  u = await app.user('ada.abbott@')
  assert.equal(u.status, 'active')
  // The history tells the story, newest first.
  await drawer.getByTestId('drawer-history').getByText('Reactivated', { exact: false }).first().waitFor()
  await drawer.getByTestId('drawer-history').getByText('Deactivated', { exact: false }).first().waitFor()
  app.assertNoPageErrors()
})

test('users: bulk deactivate and reactivate with per-person results', async (t) => {
  const app = await openDemo(t)
  if (!app) return
  const { page } = app
  const orgs = await app.call('Organisations', { query: '', type: '', offset: 0, limit: 100 })
  const eastgate = orgs.rows.find((o) => o.name === 'Eastgate Food Bank')
  assert.ok(eastgate, 'the demo has Eastgate Food Bank')
  await page.goto(new URL(`#/users?status=active&kind=client&org=${eastgate.id}`, app.harness.url).href)
  await page.getByTestId('users-count').filter({ hasText: /people$/ }).waitFor()
  const picked = (await names(page)).slice(0, 3)
  assert.equal(picked.length, 3)

  // Select three with the keyboard: focus the table, Space, Shift+↓ twice.
  await page.getByTestId('users-table').focus()
  await page.keyboard.press('Space')
  await page.keyboard.press('Shift+ArrowDown')
  await page.keyboard.press('Shift+ArrowDown')
  await page.getByTestId('bulk-bar').filter({ hasText: '3 selected' }).waitFor()

  await page.getByTestId('bulk-actions').click()
  await page.locator('.n-dropdown-option').filter({ hasText: 'Deactivate…' }).click()
  await app.confirm(true)
  const results = page.getByTestId('bulk-results')
  await results.getByTestId('bulk-summary').filter({ hasText: '3 done.' }).waitFor()
  for (const n of picked) await results.getByText(n, { exact: false }).waitFor()
  await app.shot('users-bulk-results')
  await results.getByTestId('bulk-close').click()

  // The change waits in the outbox until the server has it, shown on each row.
  await app.synced()
  for (const n of picked) {
    const u = (await app.call('SearchUsers', { query: n, status: [], kind: '', role: '', organizationId: eastgate.id, orgAdmin: null, lastLogin: '', ghost: false, pendingOnly: false, offset: 0, limit: 5, sort: 'name', desc: false })).rows[0]
    assert.equal(u.status, 'deactivated', `${n} is deactivated on the server`)
  }

  // Reactivate them and one person who is active: that one is refused, with the reason.
  await page.goto(new URL(`#/users?kind=client&org=${eastgate.id}&status=active,deactivated`, app.harness.url).href)
  await page.getByTestId('users-count').filter({ hasText: /people$/ }).waitFor()
  for (const n of picked) await page.locator('.vt-row').filter({ hasText: n }).locator('input[type=checkbox]').check()
  const active = page.locator('.vt-row').filter({ hasText: 'Active' }).first()
  const activeName = await active.getByTestId('cell-name').textContent()
  await active.locator('input[type=checkbox]').check()
  await page.getByTestId('bulk-bar').filter({ hasText: '4 selected' }).waitFor()
  await page.getByTestId('bulk-actions').click()
  await page.locator('.n-dropdown-option').filter({ hasText: 'Reactivate' }).click()
  await results.getByTestId('bulk-summary').filter({ hasText: '3 done, 1 not done.' }).waitFor()
  const refused = results.locator('[data-testid="bulk-item"][data-ok="false"]')
  assert.match(await refused.textContent(), new RegExp(activeName))
  await app.shot('users-bulk-refused')
  await results.getByTestId('bulk-close').click()
  // The refused one stays selected so it can be dealt with.
  await page.getByTestId('bulk-bar').filter({ hasText: '1 selected' }).waitFor()
  app.assertNoPageErrors()
})

test('users: change roles of a selection, and ghost accounts are fixed from their tab', async (t) => {
  const app = await openDemo(t)
  if (!app) return
  const { page } = app
  await page.getByTestId('users-search').fill('casey.nguyen')
  await page.getByTestId('users-count').filter({ hasText: '1 person' }).waitFor()
  await page.locator('.vt-row').first().locator('input[type=checkbox]').check()
  await page.getByTestId('bulk-actions').click()
  await page.locator('.n-dropdown-option').filter({ hasText: 'Change role…' }).click()
  const dlg = page.getByTestId('bulk-roles')
  await dlg.getByTestId('core-role-staff').click()
  await dlg.getByTestId('additional-role-reports').click()
  await dlg.getByTestId('bulk-roles-apply').click()
  await page.getByTestId('bulk-results').getByTestId('bulk-summary').filter({ hasText: '1 done.' }).waitFor()
  await page.getByTestId('bulk-close').click()
  await app.synced()
  const casey = await app.user('casey.nguyen@')
  assert.equal(casey.coreRole, 'staff')
  assert.deepEqual(casey.additionalRoles, ['reports'])

  await page.getByTestId('ghosts-tab').click()
  const rows = page.getByTestId('ghost-row')
  await rows.first().waitFor()
  assert.equal(await rows.count(), 2, 'the demo has two ghost accounts')
  const who = (await rows.first().locator('td').first().textContent()).trim()
  await app.shot('users-ghosts')
  await rows.first().getByTestId('ghost-fix').click()
  await app.toast('registration is marked complete')
  await page.getByTestId('ghost-row').nth(1).waitFor({ state: 'detached' })
  assert.equal(await rows.count(), 1)
  await app.synced()
  const ghosts = await app.call('Ghosts')
  assert.ok(!ghosts.some((g) => g.name === who), `${who} is no longer a ghost`)
  app.assertNoPageErrors()
})

test('users: the drawer changes roles and makes an organisation administrator', async (t) => {
  const app = await openDemo(t)
  if (!app) return
  const { page } = app
  const drawer = page.getByTestId('user-drawer')
  await page.getByTestId('users-search').fill('jordan.reyes')
  await page.getByTestId('users-count').filter({ hasText: '1 person' }).waitFor()
  await page.getByTestId('users-table').focus()
  await page.keyboard.press('Enter')
  await drawer.getByTestId('drawer-title').filter({ hasText: 'Jordan Reyes' }).waitFor()
  const before = await app.user('jordan.reyes@')

  await drawer.getByTestId('drawer-edit-roles').click()
  await drawer.getByTestId('additional-role-reports').click()
  await app.shot('users-drawer-roles')
  await drawer.getByTestId('drawer-save-roles').click()
  await app.toast('Roles of Jordan Reyes changed')
  await drawer.getByTestId('drawer-roles').filter({ hasText: 'Reports' }).waitFor()
  await app.synced()
  const after = await app.user('jordan.reyes@')
  assert.deepEqual([...after.additionalRoles].sort(), [...before.additionalRoles, 'reports'].sort())

  // A reload of Jordan's drawer is slow, and answers only after Chloe's drawer has
  // opened: the drawer must stay on Chloe, or the next click would act on Jordan. (A sync
  // event reloads the open drawer; a CI failure of this test fits a late answer winning.)
  const late = await app.holdAnswer('GetUser', after.id)
  await page.keyboard.press('Escape')
  await drawer.waitFor({ state: 'detached' })
  await page.getByTestId('users-search').fill('jordan.reyes')
  await page.getByTestId('cell-name').filter({ hasText: 'Jordan Reyes' }).click()
  // Jordan's drawer opens; its load is held. Chloe is chosen before it answers.
  await drawer.waitFor()
  await page.keyboard.press('Escape')
  await drawer.waitFor({ state: 'detached' })

  // An active client becomes an administrator of their organisation from the drawer.
  await page.getByTestId('users-search').fill('chloe.jensen')
  await page.getByTestId('cell-name').filter({ hasText: 'Chloe Jensen' }).click()
  await drawer.getByTestId('drawer-title').filter({ hasText: 'Chloe Jensen' }).waitFor()
  await late.release()
  assert.equal(await drawer.getByTestId('drawer-title').textContent(), 'Chloe Jensen', 'the late answer about Jordan is not shown')
  await drawer.getByTestId('drawer-org-admin').click()
  await app.toast('Chloe Jensen is now an organisation administrator')
  await app.synced()
  assert.equal((await app.user('chloe.jensen@')).orgAdmin, true)
  assert.equal((await app.user('jordan.reyes@')).orgAdmin, after.orgAdmin, 'Jordan is as he was')
  await page.locator('.vt-row').filter({ hasText: 'Chloe Jensen' }).getByText('admin', { exact: true }).waitFor()

  // Someone of no organisation has no administrator switch, but a word saying why.
  await page.keyboard.press('Escape')
  await drawer.waitFor({ state: 'detached' })
  await page.getByTestId('users-search').fill('pete.walsh')
  await page.getByTestId('cell-name').filter({ hasText: 'Pete Walsh' }).click()
  await drawer.getByTestId('drawer-org-admin-none').filter({ hasText: 'belongs to no organisation' }).waitFor()
  assert.equal(await drawer.getByTestId('drawer-org-admin').count(), 0, 'no switch for someone of no organisation')
  app.assertNoPageErrors()
})

test('users: last login more than any number of days ago, in the last N days, or never', async (t) => {
  const app = await openDemo(t)
  if (!app) return
  const { page } = app
  const count = page.getByTestId('users-count')
  await count.filter({ hasText: /people$/ }).waitFor()
  const total = async (over) => (await app.call('SearchUsers', { ...query(), ...over })).total
  const shows = (n) => count.filter({ hasText: n === 1 ? /^1 person$/ : new RegExp(`^${n} people$`) }).waitFor()
  const pick = async (label) => {
    await page.getByTestId('filter-login').click()
    await page.locator('.n-base-select-option').filter({ hasText: label }).click()
  }

  await pick(/^More than … days ago$/)
  const days = page.getByTestId('filter-login-days')
  assert.equal(await days.inputValue(), '90')
  await shows(await total({ lastLogin: 'olderDays', lastLoginDays: 90 }))

  // Any number of days, typed.
  const older10 = await total({ lastLogin: 'olderDays', lastLoginDays: 10 })
  assert.notEqual(older10, await total({ lastLogin: 'olderDays', lastLoginDays: 90 }), 'the demo tells 10 from 90 days apart')
  await days.fill('10')
  await shows(older10)
  await page.getByText('Last login: more than 10 days ago').waitFor()
  await expectURL(page, /login=olderDays/)
  await expectURL(page, /days=10/)
  await app.shot('users-last-login-days')

  await pick(/^In the last … days$/)
  await shows(await total({ lastLogin: 'withinDays', lastLoginDays: 10 }))

  // Not a number of days: the filter stays as it was.
  await days.fill('0')
  await page.getByText('Last login: in the last 10 days').waitFor()
  await shows(await total({ lastLogin: 'withinDays', lastLoginDays: 10 }))

  await pick(/^Never logged in$/)
  await shows(await total({ lastLogin: 'never' }))
  assert.equal(await days.count(), 0, 'no number of days for "never"')
  app.assertNoPageErrors()
})
