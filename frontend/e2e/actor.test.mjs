// Who the administrator is, against the real App: on the local portal the status bar names
// the local administrator and every action is offered; connected to a server without a
// sign-in, the bar says "Sign in needed" (its button opens the sign-in settings) beside the
// connection state, last sync and pending count, and the actions the server would refuse are
// disabled with the reason instead of being offered and refused.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { openDemo } from './lib/demo.mjs'
import { expectURL } from './lib/browser.mjs'

test('actor: local administrator; then a server without sign-in asks for one and disables what it would refuse', async (t) => {
  const app = await openDemo(t, { path: '/users' })
  if (!app) return
  const { page } = app
  const bar = page.getByTestId('status-bar')

  // The local portal: this computer's administrator may do everything.
  await bar.getByTestId('status-actor').filter({ hasText: 'Local administrator' }).waitFor()
  const local = await app.call('CurrentActor')
  assert.equal(local.kind, 'local')
  assert.equal(local.systemAdmin, true)
  assert.equal(await bar.getByTestId('status-signin').count(), 0, 'no sign-in needed on the local portal')
  assert.equal(await page.getByTestId('promote-open').isDisabled(), false)

  // Connect to a portal server (the local portal's address, which stops answering when the
  // local portal stops): no sign-in on this computer for it.
  await app.call('ConnectServer', app.info.portalUrl)
  const signIn = bar.getByTestId('status-signin')
  await signIn.waitFor()
  const status = await app.call('SyncStatus')
  assert.equal(status.needsSignIn, true)
  // The rest of the bar stays.
  for (const id of ['status-mode', 'status-last-sync', 'status-pending', 'status-conflicts']) {
    assert.ok(await bar.getByTestId(id).isVisible(), `${id} is still shown`)
  }
  await bar.getByTestId('status-pending').filter({ hasText: 'Pending changes: 0' }).waitFor()

  // Gatehouse does not know what this server lets us do: actions are disabled, with why.
  const actor = await app.call('CurrentActor')
  assert.equal(actor.known, false)
  assert.notEqual(actor.refusals.system, '')
  const promote = page.getByTestId('promote-open')
  await page.waitForFunction(() => document.querySelector('[data-testid="promote-open"]')?.disabled === true)
  const why = await page.locator('span[data-refusal]').filter({ has: promote }).getAttribute('data-refusal')
  assert.equal(why, actor.refusals.system)

  // A person's record says why it cannot be changed.
  await page.getByTestId('users-search').fill('harriet')
  await page.getByTestId('users-count').filter({ hasText: '1 person' }).waitFor()
  await page.getByTestId('users-search').press('ArrowDown')
  await page.keyboard.press('Enter')
  const drawer = page.getByTestId('user-drawer')
  await drawer.getByTestId('drawer-refusal').filter({ hasText: actor.refusals.otherOrganisation }).waitFor()
  await page.keyboard.press('Escape')
  await drawer.waitFor({ state: 'detached' })

  await app.nav('Approvals')
  await page.getByTestId('tab-bin').click()
  const purge = page.getByTestId('purge').first()
  await purge.waitFor()
  assert.equal(await purge.isDisabled(), true, 'purge is disabled')
  const gate = page.locator('span.gated').filter({ has: purge }).first()
  assert.equal(await gate.getAttribute('title'), actor.refusals.system)
  await app.shot('actor-refused')

  // The bar's button goes to the sign-in settings.
  await signIn.click()
  await page.getByTestId('view-title').filter({ hasText: 'Settings' }).waitFor()
  await expectURL(page, /#\/settings\/signin$/)
  app.assertNoPageErrors()
})
