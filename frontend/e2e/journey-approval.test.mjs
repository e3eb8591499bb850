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
import { test } from 'node:test'
import { shot } from './lib/app.mjs'
import { connectDesktop, linkIn, portalSignIn } from './lib/portal.mjs'
import { startJourney } from './lib/journey.mjs'

const admin = 'admin@example.org'
const approvers = 'approvals@eastgate.example.org'

test('journey: a person asks for access, the approver approves from the e-mail, another is denied from the desktop', { timeout: 300_000 }, async (t) => {
  const j = await startJourney(t, 'approval')
  if (!j) return
  const { issuer } = j
  const harness = await j.desktop()
  const info = await harness.info()
  const portal = await j.portal({
    extraArgs: ['--sso-issuer', issuer, '--sso-client-id', 'gatehouse-portal', '--smtp-host', info.smtpHost, '--smtp-port', info.smtpPort,
      '--smtp-security', 'none', '--mail-from', 'Portal <portal@eastgate.example.org>'],
  })

  // Each person has their own browser: the administrator's (the desktop and their sign-in
  // at the provider), Pat's, the approver's and Dan's.
  const open = j.browser
  const page = await open()

  // The desktop connects to the server and the administrator signs in.
  await page.goto(harness.url)
  await connectDesktop(page, { portal, issuer, login: admin })

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
  await harness.call('app.InvitationsService.SaveTemplate', 'not_authorised', 'Waiting for a coordinator', welcome + '\n\n[Request Access](@RequestAccessUrl@)\n')

  // Pat signs in with single sign-on and sees that page.
  const pat = await open()
  await portalSignIn(pat, portal, 'pat')
  await pat.getByText('Thank you for signing in to Eastgate Food Bank. A coordinator checks every new volunteer').waitFor()
  await pat.getByText('Request Access').click()
  await pat.getByText('Your request for access has been emailed').waitFor()

  // The approvers' e-mail: text and HTML, with the account's source and the links.
  const request = await harness.mailTo(approvers)
  assert.match(request.subject, /Eastgate Food Bank/)
  assert.match(request.text, /Pat is requesting access to Eastgate Food Bank\./)
  assert.ok(request.text.includes(`Account Source: ${new URL(issuer).host}`), 'the account source is in the request')
  assert.ok(request.html.includes('<!DOCTYPE html>') && request.html.includes(`href="${portal}/approvals/approve?token=`), 'an HTML part with the approve button')

  // A second request inside the hour is refused with a sentence, and nothing more is sent.
  await pat.goto(portal + '/account')
  await pat.getByText('Request Access').click()
  await pat.getByText('Request not sent again').waitFor()
  const sent = (await harness.mail()).filter((m) => m.to.includes(approvers))
  assert.equal(sent.length, 1, 'one e-mail to the approvers after two requests')

  // The approver opens the link from the e-mail and confirms.
  const approver = await open()
  await approver.goto(linkIn(request.text, portal + '/approvals/approve?token='))
  await approver.getByRole('button', { name: /^Approve / }).click()
  await approver.getByText(/approved/i).first().waitFor()

  // Pat's approved e-mail names the portal, and its link takes Pat in.
  const approved = await harness.mailTo('pat@example.org')
  assert.match(approved.subject, /Eastgate Food Bank/)
  await pat.goto(linkIn(approved.text, portal + '/'))
  await pat.getByText('You are signed in as').waitFor()

  // Dan signs in and waits; the administrator denies him from the desktop.
  const dan = await open()
  await portalSignIn(dan, portal, 'dan')
  await dan.getByText('Request Access').waitFor()
  await harness.call('app.ConnectionService.SyncNow')
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
  await harness.call('app.ConnectionService.SyncNow')
  await page.getByTestId('tab-bin').click()
  await page.getByTestId('bin-table').getByText('dan@example.org').waitFor()
  // Who denied him, by name: the administrator's name came from the identity provider
  // when they signed in (the bootstrap account had only an address).
  await page.getByTestId('bin-table').getByText(/just now by Admin/).waitFor()
  await shot(page, 'journey-approval-recycle-bin')

  // Dan signs in again and is told he is not authorised.
  const dan2 = await open()
  await portalSignIn(dan2, portal, 'dan')
  await dan2.getByText('Your account is not authorized').waitFor()
})
