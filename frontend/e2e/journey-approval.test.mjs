// The approval journey, as ClientTrack's administrators run it, against a real portal
// server: oidc-provider as the organisation's identity provider, gatehouse-server with SSO
// for its pages and the harness's go-smtp sink as its mail server, and the real App.
//
// The administrator connects the desktop, names the portal, chooses who is e-mailed about
// access requests and writes the page a waiting person sees. Pat signs in with single
// sign-on, sees that page, asks for access; the approver's e-mail (text and HTML) arrives,
// its link approves Pat, and the approved e-mail, with the portal's name, takes Pat in.
// Dan is denied from the desktop, lands in the recycle bin, and is told so at his next
// sign-in. A second request inside the interval is refused.
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { shot } from './lib/app.mjs'
import { launch } from './lib/browser.mjs'
import { frontendBuilt, frontendDir, startHarness } from './lib/harness.mjs'
import { chromiumPath, hasExecutable, need } from './lib/parts.mjs'
import { clientId, signInAtProvider, startPortal, startProvider } from './lib/portal.mjs'

const admin = 'admin@example.org'
const approvers = 'approvals@eastgate.example.org'

// mailTo waits for the n-th message to addr at the harness's sink.
async function mailTo(harness, addr, n = 1) {
  const deadline = Date.now() + 20_000
  for (;;) {
    const all = await (await fetch(new URL('/harness/mail', harness.url))).json()
    const mine = (all.messages ?? all).filter((m) => m.to.includes(addr))
    if (mine.length >= n) return mine[n - 1]
    if (Date.now() > deadline) throw new Error(`no message ${n} to ${addr}: ${JSON.stringify(all).slice(0, 2000)}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

// linkIn finds the address starting with prefix in a message's text.
function linkIn(text, prefix) {
  const at = text.indexOf(prefix)
  assert.ok(at >= 0, `no link ${prefix} in:\n${text}`)
  return text.slice(at).split(/[\s)>\]]/)[0]
}

// ssoSignIn signs a person in on the portal's own pages with their organisation's account.
async function ssoSignIn(page, portal, login) {
  await page.goto(portal + '/')
  await page.getByText("Sign in with your organisation's account").click()
  await page.fill('input[name="login"]', login)
  await page.fill('input[name="password"]', 'any password will do')
  await page.click('button[type="submit"]')
  // Back at the portal: its callback either lets the person in (and moves on) or says why not.
  const back = page.waitForURL((u) => u.origin === portal)
  const consent = page.locator('input[name="prompt"][value="consent"]')
  await Promise.race([back, consent.waitFor({ state: 'attached' }).then(() => page.click('button[type="submit"]'))])
  await back
}

test('journey: a person asks for access, the approver approves from the e-mail, another is denied from the desktop', { timeout: 300_000 }, async (t) => {
  if (!need(t, 'Chromium', hasExecutable(chromiumPath), "install Debian's chromium (apt-get install chromium) or set CHROMIUM")) return
  if (!need(t, 'oidc-provider', existsSync(join(frontendDir, 'node_modules', 'oidc-provider', 'package.json')), 'run npm ci in frontend/')) return
  if (!frontendBuilt()) throw new Error('frontend/dist/index.html is missing: run `npm run build` in frontend/ first')

  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-approval-e2e-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const issuer = await startProvider(t, dir)
  const harness = await startHarness({ version: 'e2e', extraArgs: ['-keychain', 'memory'] })
  t.after(async () => {
    const code = await harness.stop()
    assert.equal(code, 0, `harness exited with ${code}:\n${harness.stderr()}`)
  })
  const info = await harness.info()
  const portal = await startPortal(t, dir, issuer, {
    extraArgs: ['--sso-issuer', issuer, '--sso-client-id', 'gatehouse-portal', '--smtp-host', info.smtpHost, '--smtp-port', info.smtpPort,
      '--smtp-security', 'none', '--mail-from', 'Portal <portal@eastgate.example.org>'],
  })
  await harness.call('app.App.UseEmbedded')

  // Each person has their own browser: the administrator's (the desktop and their sign-in
  // at the provider), Pat's, the approver's and Dan's.
  const browsers = []
  const open = async () => {
    const b = await launch()
    browsers.push(b)
    return b.context.pages()[0] ?? (await b.context.newPage())
  }
  t.after(async () => {
    for (const b of browsers) await b.close()
  })
  const page = await open()
  t.after(() => shot(page, t.name).catch(() => {}))

  // The desktop connects to the server and the administrator signs in.
  await page.goto(new URL('#/settings', harness.url).href)
  await page.getByTestId('nav').waitFor()
  await page.getByText('Server and sign-in', { exact: true }).click()
  await page.getByTestId('signin-server-url').fill(portal)
  await page.getByTestId('signin-issuer').fill(issuer)
  await page.getByTestId('signin-client-id').fill(clientId)
  await page.getByTestId('signin-save').click()
  await page.getByTestId('golive-connect-only').click()
  const authUrl = await page.getByTestId('signin-auth-url').inputValue()
  const idp = await page.context().newPage()
  assert.equal(await signInAtProvider(idp, authUrl, admin), 'You are signed in')
  await idp.close()
  await page.getByTestId('signin-email').filter({ hasText: admin }).waitFor()

  // Settings → Portal: the name, the approvers' address, one hour between requests.
  await page.locator('.n-tabs-tab').filter({ hasText: 'Portal' }).click()
  await page.getByTestId('portal-settings').locator('form').waitFor()
  await page.getByTestId('portal-name').locator('input').fill('Eastgate Food Bank')
  const tags = page.getByTestId('portal-approvers')
  await tags.locator('button').last().click()
  await tags.locator('input').fill(approvers)
  await tags.locator('input').press('Enter')
  await page.getByTestId('portal-interval').fill('1')
  await page.getByTestId('portal-save').click()
  await page.getByText('The portal settings were saved.').first().waitFor()

  // The page a waiting person sees, written on the desktop; it is the portal's.
  const welcome = 'Thank you for signing in to @system.ProductName@. A coordinator checks every new volunteer: ask for access below.'
  await harness.call('app.App.SaveTemplate', 'not_authorised', 'Waiting for a coordinator', welcome + '\n\n[Request Access](@RequestAccessUrl@)\n')

  // Pat signs in with single sign-on and sees that page.
  const pat = await open()
  await ssoSignIn(pat, portal, 'pat')
  await pat.getByText('Thank you for signing in to Eastgate Food Bank. A coordinator checks every new volunteer').waitFor()
  await pat.getByText('Request Access').click()
  await pat.getByText('Your request for access has been emailed').waitFor()

  // The approvers' e-mail: text and HTML, with the account's source and the links.
  const request = await mailTo(harness, approvers)
  assert.match(request.subject, /Eastgate Food Bank/)
  assert.match(request.text, /Pat is requesting access to Eastgate Food Bank\./)
  assert.ok(request.text.includes(`Account Source: ${new URL(issuer).host}`), 'the account source is in the request')
  assert.ok(request.html.includes('<!DOCTYPE html>') && request.html.includes(`href="${portal}/approvals/approve?token=`), 'an HTML part with the approve button')

  // A second request inside the hour is refused with a sentence, and nothing more is sent.
  await pat.goto(portal + '/account')
  await pat.getByText('Request Access').click()
  await pat.getByText('Request not sent again').waitFor()
  const sent = (await (await fetch(new URL('/harness/mail', harness.url))).json()).messages.filter((m) => m.to.includes(approvers))
  assert.equal(sent.length, 1, 'one e-mail to the approvers after two requests')

  // The approver opens the link from the e-mail and confirms.
  const approver = await open()
  await approver.goto(linkIn(request.text, portal + '/approvals/approve?token='))
  await approver.getByRole('button', { name: /^Approve / }).click()
  await approver.getByText(/approved/i).first().waitFor()

  // Pat's approved e-mail names the portal, and its link takes Pat in.
  const approved = await mailTo(harness, 'pat@example.org')
  assert.match(approved.subject, /Eastgate Food Bank/)
  await pat.goto(linkIn(approved.text, portal + '/'))
  await pat.getByText('You are signed in as').waitFor()

  // Dan signs in and waits; the administrator denies him from the desktop.
  const dan = await open()
  await ssoSignIn(dan, portal, 'dan')
  await dan.getByText('Request Access').waitFor()
  await harness.call('app.App.SyncNow')
  await page.getByTestId('nav').getByText('Approvals', { exact: true }).click()
  const danRow = page.getByTestId('queue-table').locator('tr').filter({ hasText: 'dan@example.org' })
  await danRow.waitFor()
  await danRow.getByRole('button', { name: 'Deny Dan' }).click()
  const dialog = page.getByTestId('deny-dialog')
  await dialog.waitFor()
  await page.getByTestId('deny-reason').fill('Not on the volunteer list')
  await dialog.getByTestId('deny-confirm').click()
  await dialog.waitFor({ state: 'detached' })
  await page.getByText('Dan was denied and moved to the recycle bin').first().waitFor()
  await harness.call('app.App.SyncNow')
  await page.getByTestId('tab-bin').click()
  await page.getByTestId('bin-table').getByText('dan@example.org').waitFor()
  // Who denied him, by name: the administrator's name came from the identity provider
  // when they signed in (the bootstrap account had only an address).
  await page.getByTestId('bin-table').getByText(/just now by Admin/).waitFor()
  await shot(page, 'journey-approval-recycle-bin')

  // Dan signs in again and is told he is not authorised.
  const dan2 = await open()
  await ssoSignIn(dan2, portal, 'dan')
  await dan2.getByText('Your account is not authorized').waitFor()
})
