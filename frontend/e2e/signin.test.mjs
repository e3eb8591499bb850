// Settings → Server and sign-in signs in for real: oidc-provider (certified, from npm) as the
// organisation's identity provider, the gatehouse-server binary as the portal server, the
// real App in the harness (in-memory keychain; the "system browser" only records what it is
// asked to open), and a second Chromium page playing the administrator's browser.
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { shot, themedShots } from './lib/app.mjs'
import { launch } from './lib/browser.mjs'
import { frontendBuilt, frontendDir, startHarness } from './lib/harness.mjs'
import { chromiumPath, hasExecutable, need } from './lib/parts.mjs'
import { expectURL } from './lib/browser.mjs'
import { clientId, signInAtProvider, startPortal, startProvider } from './lib/portal.mjs'

const admin = 'admin@example.org'

// forgetProviderSignIn clears the browser's cookies, as another person at this computer
// would find it, but keeps the harness's own cookie, which carries this run's token to its
// bridge (the provider and the harness both live on 127.0.0.1).
async function forgetProviderSignIn(context) {
  await context.clearCookies({ name: /^(?!harness$)/ })
}

test('settings: sign in at the identity provider, see who is signed in, sign out', { timeout: 240_000 }, async (t) => {
  if (!need(t, 'Chromium', hasExecutable(chromiumPath), 'install Debian\'s chromium (apt-get install chromium) or set CHROMIUM')) return
  const provider = join(frontendDir, 'node_modules', 'oidc-provider', 'package.json')
  if (!need(t, 'oidc-provider', existsSync(provider), 'run npm ci in frontend/')) return
  if (!frontendBuilt()) throw new Error('frontend/dist/index.html is missing: run `npm run build` in frontend/ first')

  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-signin-e2e-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const issuer = await startProvider(t, dir)
  const portal = await startPortal(t, dir, issuer)

  const harness = await startHarness({ version: 'e2e', extraArgs: ['-keychain', 'memory'] })
  t.after(async () => {
    const code = await harness.stop()
    assert.equal(code, 0, `harness exited with ${code}:\n${harness.stderr()}`)
  })
  // A computer that chose the local portal on the first run; the server comes from Settings.
  await harness.call('app.ConnectionService.UseEmbedded')
  const browser = await launch()
  const page = browser.context.pages()[0] ?? (await browser.context.newPage())
  t.after(async () => {
    await shot(page, t.name).catch(() => {})
    await browser.close()
  })
  const origin = new URL(harness.url).origin
  await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin })
  const pageErrors = []
  page.on('pageerror', (e) => pageErrors.push(e))
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(new Error(`console.error: ${m.text()} (${m.location().url})`))
  })

  await page.goto(new URL('#/settings', harness.url).href)
  await page.getByTestId('nav').waitFor()
  await page.getByText('Server and sign-in', { exact: true }).click()
  await page.getByTestId('signin-panel').waitFor()
  await expectURL(page, /#\/settings\/signin$/)
  // The harness starts with the local portal, which needs no sign-in; who works on it is
  // said here (or at first run), for the audit log.
  await page.getByTestId('signin-local').waitFor()
  await page.getByTestId('local-admin-name').fill('Ann Reed')
  await page.getByTestId('local-admin-email').fill('ann.reed@example.org')
  await page.getByTestId('local-admin-save').click()
  await page.getByText('Changes on the local portal are recorded as Ann Reed from now on.').waitFor()
  assert.equal((await harness.call('app.ConnectionService.CurrentActor')).label, 'Ann Reed (local administrator)')

  // Settings: the portal server and the identity provider.
  await page.getByTestId('signin-server-url').fill(portal)
  await page.getByTestId('signin-issuer').fill(issuer)
  await page.getByTestId('signin-client-id').fill(clientId)
  await page.getByTestId('signin-save').click()
  // Leaving the local portal: the server answered, and the dialog says what would be
  // carried to it and what not, before anything changes.
  const plan = page.getByTestId('golive-plan')
  await plan.waitFor()
  assert.match(await plan.textContent(), new RegExp(`The server at ${portal.replace(/[.]/g, '\\.')} answered`))
  assert.match(await page.getByTestId('golive-not-carried').textContent(), /links point at this computer/)
  assert.equal((await harness.call('app.ConnectionService.SyncStatus')).mode, 'embedded', 'nothing switched while the dialog is open')
  await themedShots(page, 'settings-golive-plan')
  // Sign in to the server: the App asks the "system browser" to open the provider's page
  // and shows the same address to copy. Until the server accepts the sign-in, Gatehouse
  // stays on the local portal.
  await page.getByTestId('golive-connect-carry').click()
  const shown = page.getByTestId('signin-auth-url')
  await shown.waitFor()
  const authUrl = await shown.inputValue()
  const auth = new URL(authUrl)
  assert.equal(auth.origin, issuer)
  assert.equal(auth.searchParams.get('client_id'), clientId)
  assert.equal(auth.searchParams.get('code_challenge_method'), 'S256')
  assert.match(auth.searchParams.get('redirect_uri'), /^http:\/\/127\.0\.0\.1:\d+\/callback$/)
  const opened = { urls: await harness.browserOpened() }
  assert.deepEqual(opened.urls, [authUrl], 'the App asked the system browser to open exactly the address it shows')
  await page.getByTestId('signin-copy').click()
  await page.getByTestId('signin-copied').waitFor()
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), authUrl)
  await shot(page, 'settings-signin-waiting-for-the-browser')
  assert.equal((await harness.call('app.ConnectionService.SyncStatus')).mode, 'embedded', 'nothing switched before the sign-in')

  // The administrator signs in in "their browser".
  const idp = await browser.context.newPage()
  assert.equal(await signInAtProvider(idp, authUrl, admin), 'You are signed in')
  await idp.close()

  // Back in Gatehouse: connected to the server, signed in, as whom, until when; the local
  // work is carried once the first sync with the server is done.
  await page.getByTestId('signin-email').filter({ hasText: admin }).waitFor()
  const state = page.getByTestId('signin-state')
  assert.deepEqual(
    { ...(await harness.call('app.SettingsService.SignInSettings')) },
    { serverUrl: portal, issuer, clientId, scopes: '' },
  )
  await page.getByTestId('golive-result').waitFor({ timeout: 30000 })
  assert.match(await page.getByTestId('golive-result').textContent(), /Carried to http:\/\/127\.0\.0\.1:\d+.*organisations, \d+ contacts and \d+ messages were\s+queued/s)
  await themedShots(page, 'settings-golive-result')
  assert.equal(await page.getByTestId('signin-waiting').count(), 0, 'the address to copy is gone once signed in')
  assert.match(await page.getByTestId('signin-notice').textContent(), /Signed in as admin@example\.org\./)
  assert.match(await state.textContent(), /Signed in\s+as admin@example\.org .*to http:\/\/127\.0\.0\.1:\d+, until /)
  const session = await harness.call('app.SettingsService.SessionState')
  assert.equal(session.signedIn, true)
  assert.equal(session.email, admin)
  assert.equal(session.serverUrl, portal)
  assert.ok(!JSON.stringify(session).includes('token'), 'no token reaches the frontend')
  // Sync works with the session.
  const sync = await harness.call('app.ConnectionService.SyncNow')
  assert.equal(sync.lastError, '')
  assert.equal(sync.mode, 'remote')

  // Someone without an account on the portal is told why, in a sentence. (Another person
  // at this browser: the provider forgets the administrator's sign-in first.)
  await forgetProviderSignIn(browser.context)
  await page.getByTestId('signin-test').click()
  await shown.waitFor()
  const idp2 = await browser.context.newPage()
  assert.equal(await signInAtProvider(idp2, await shown.inputValue(), 'stranger@example.org'), 'You are signed in')
  await idp2.close()
  const error = page.getByTestId('signin-error')
  await error.waitFor()
  const errorText = await error.textContent()
  assert.match(errorText, /This account may not administer the portal/)
  assert.match(errorText, /stranger@example\.org is not allowed to administer the portal at http:\/\/127\.0\.0\.1:\d+\./)
  assert.equal((await harness.call('app.SettingsService.SessionState')).email, admin, 'a failed test sign-in leaves the session alone')

  // Cancel a sign-in waiting for the browser.
  await page.getByTestId('signin-test').click()
  await page.getByTestId('signin-cancel').click()
  await error.filter({ hasText: 'Sign-in was cancelled in Gatehouse.' }).waitFor()
  assert.equal(await page.getByTestId('signin-waiting').count(), 0)

  // Sign out: the session ends at the server and is forgotten here.
  await page.getByTestId('signin-signout').click()
  await state.filter({ hasText: `Not signed in to ${portal}` }).waitFor()
  await page.getByTestId('signin-notice').filter({ hasText: 'Signed out.' }).waitFor()
  const after = await harness.call('app.SettingsService.SessionState')
  assert.equal(after.signedIn, false)
  assert.equal(after.needsSignIn, true)

  // Signing in again to the server in use: the Sign in button.
  await forgetProviderSignIn(browser.context)
  await page.getByTestId('signin-begin').click()
  await shown.waitFor()
  const idp3 = await browser.context.newPage()
  assert.equal(await signInAtProvider(idp3, await shown.inputValue(), admin), 'You are signed in')
  await idp3.close()
  await page.getByTestId('signin-email').filter({ hasText: admin }).waitFor()
  assert.equal((await harness.call('app.SettingsService.SessionState')).signedIn, true)

  // The local portal is always one click away while a server is in use.
  await page.getByTestId('signin-use-local').click()
  await page.getByTestId('signin-local').waitFor()
  await page.getByTestId('signin-notice').filter({ hasText: 'uses the local portal on this computer again' }).waitFor()
  assert.equal((await harness.call('app.SettingsService.SessionState')).mode, 'embedded')

  assert.deepEqual(pageErrors.map(String), [], 'the page reported errors')
})
