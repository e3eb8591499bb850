// The council journey (the council guide's method), from the first click to a councillor's
// first sign-in: the membership officer brings in the contact list (an .xlsx written by
// excelize and a semicolon CSV in Windows-1252), maps its columns ("Council type" is the kind
// of organisation, not whether a row is a person), fixes, excludes and merges rows, applies
// the import, forms a batch of the councils A–B, pre-notifies them and then invites them,
// each step confirmed; the messages reach a real SMTP server (go-smtp, in the harness); one
// clerk opens the link from her e-mail in the browser, sets a password and is signed in;
// Reports shows her invitation accepted and the others pending; a reminder goes to the rest.
// Everything runs against the real App and its embedded portal.
import assert from 'node:assert/strict'
import { dirname, join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { openApp, themedShots, themedShotsDir } from './lib/app.mjs'
import { chooseOption, count } from './lib/imports.mjs'
import { acceptWithPassword } from './lib/portal.mjs'

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'journey')



// applyReviewed applies the import on screen: the button says what it will do, the dialog
// asks, and the outcome follows once the portal has the contacts.
async function applyReviewed(page, created) {
  const apply = page.getByTestId('apply')
  await apply.waitFor()
  const label = (await apply.textContent()).trim().replace(/…$/, '')
  await apply.click()
  await page.locator('.n-dialog').filter({ hasText: 'Apply the import?' }).getByRole('button', { name: label }).click()
  await page.getByTestId('apply-result').filter({ hasText: `${created} contacts created` }).waitFor({ timeout: 60_000 })
  return label
}

// openBatch opens a batch of the list by its name.
async function openBatch(page, name) {
  await page.getByTestId('batch-list').getByText(name, { exact: true }).click()
  await page.getByTestId('batch-detail').locator('h3').filter({ hasText: name }).waitFor()
}

// sendOpenBatch sends the batch on screen after its confirmation, which must name the
// number of people, and waits for the end.
async function sendOpenBatch(page, people) {
  await page.getByTestId('send-batch').click()
  await page.getByTestId('confirm-text').filter({ hasText: `${people} people will be e-mailed` }).waitFor()
  await page.getByTestId('confirm-yes').click()
  await page.getByTestId('progress-text').filter({ hasText: `${people} of ${people}` }).waitFor({ timeout: 60_000 })
  await page.getByTestId('batch-state').filter({ hasText: 'Finished' }).waitFor()
}

const to = (messages) => messages.flatMap((m) => m.to).sort()


test('journey: a council list becomes invited people, and one of them signs in', async (t) => {
  const app = await openApp(t)
  if (!app) return
  const { page, harness, browser } = app
  const info = await harness.info()

  // The local portal on this computer, empty; mail goes to the harness's SMTP server.
  await page.getByTestId('first-run-name').fill('Ann Reed')
  await page.getByTestId('first-run-email').fill('ann.reed@example.org')
  await page.getByTestId('first-run-empty').click()
  await page.getByTestId('first-run-empty').waitFor({ state: 'detached' })
  await harness.call('app.InvitationsService.SaveSMTPSettings', {
    host: info.smtpHost, port: Number(info.smtpPort), security: 'none', username: '', from: 'Council Association <membership@association.example.org>',
    ratePerSecond: 0, hasPassword: false,
  }, '')

  // The local portal is reached from outside at a public address (here a name Chromium
  // resolves to this computer); without one, Gatehouse would send no links.
  const publicUrl = `http://portal.gatehouse.test:${new URL(info.portalUrl).port}`
  await app.nav('Settings')
  await page.locator('.n-tabs-tab').filter({ hasText: 'Portal' }).click()
  await page.getByTestId('portal-no-public-url').waitFor()
  await page.getByTestId('portal-public-url').locator('input').fill(publicUrl)
  await page.getByTestId('portal-save').click()
  await page.getByTestId('portal-no-public-url').waitFor({ state: 'detached' })
  await page.mouse.move(5, 5)
  await themedShots(page, 'settings-portal')

  // 1. The CRM's export, dropped on the window.
  await app.nav('Imports')
  await harness.drop([join(fixtures, 'councils.xlsx')], 400, 300)
  const mapping = page.getByTestId('mapping-step')
  await mapping.waitFor()
  // "Council type" is the kind of council; "Council" is the organisation.
  assert.match(await mapping.getByTestId('map-organizationType').textContent(), /F · Council type/)
  assert.match(await mapping.getByTestId('map-organization').textContent(), /E · Council/)
  assert.match(await mapping.getByTestId('map-type').textContent(), /Not in this file/)
  await mapping.getByTestId('confirm-mapping').click()
  await page.getByTestId('finding-counts').waitFor()
  // No clerk is taken for an organisation because of the council's type.
  assert.equal(await page.getByTestId('count-organisation_row').count(), 0)
  await count(page, 'missing_email', 1)
  await count(page, 'invalid_email', 1)
  await count(page, 'duplicate_email', 2)

  // 2. Fix, exclude, merge.
  await page.getByTestId('row-7').locator('[data-field="email"] button').click()
  await page.getByTestId('cell-input').fill('finn@caxton-pc.gov.uk')
  await page.getByTestId('cell-input').press('Enter')
  await count(page, 'invalid_email', 0)
  await page.getByTestId('row-6').getByTestId('exclude-row').click()
  await page.getByTestId('exclude-dialog').getByRole('textbox').fill('No address; Brampton to send one')
  await page.getByTestId('exclude-dialog').getByTestId('confirm-exclude').click()
  await count(page, 'missing_email', 0)
  await page.getByTestId('row-9').getByTestId('merge-row').click()
  await page.getByTestId('merge-dialog').getByTestId('keep-2').click()
  await page.getByTestId('merge-dialog').getByTestId('confirm-merge').click()
  await count(page, 'duplicate_email', 0)

  // 3. Apply: 7 contacts in 7 councils; the excluded and the merged row are skipped.
  const said = await applyReviewed(page, 7)
  assert.equal(said, 'Create 7 contacts and 7 organisations, skip 2 rows')

  // The second list: a Windows CSV with accents, semicolons and the same columns.
  await page.getByTestId('back-to-list').click()
  await harness.drop([join(fixtures, 'councils-1252.csv')], 400, 300)
  await mapping.waitFor()
  await mapping.getByTestId('confirm-mapping').click()
  await page.getByTestId('finding-counts').waitFor()
  await page.getByTestId('row-2').getByText('Zoë').waitFor()
  await page.getByTestId('row-2').getByText('Ménard').waitFor()
  // Zoë and Zoe Ménard at one council look like one person; the finding says why. They are
  // two (mother and daughter): the officer says so, and it is remembered.
  await count(page, 'possible_duplicate', 2)
  await page.getByTestId('row-2').locator('.finding-badge[data-code="possible_duplicate"]').hover()
  await page.locator('.finding-tip').filter({ hasText: 'the same first name' }).waitFor()
  await themedShots(page, 'imports-possible-duplicate')
  await page.mouse.move(5, 5)
  // Every action of the row is whole on screen: the Status column (kept in view at the
  // right) has room for them side by side.
  const status = await page.getByTestId('row-2').locator('.vt-cell.sticky-end').boundingBox()
  for (const id of ['exclude-row', 'merge-row', 'distinct-row']) {
    const b = await page.getByTestId('row-2').getByTestId(id).boundingBox()
    assert.ok(b && b.x >= status.x && b.x + b.width <= status.x + status.width, `${id} is cut off by the Status column (${JSON.stringify(b)} in ${JSON.stringify(status)})`)
  }
  await page.getByTestId('row-2').getByTestId('distinct-row').click()
  await count(page, 'possible_duplicate', 0)
  await applyReviewed(page, 3)

  // 4. A batch of the councils A–B from the applied import, sorted by council.
  await app.nav('Invitations')
  await chooseOption(page, page.getByTestId('batch-source'), 'Import: councils.xlsx')
  await page.getByTestId('letter-from').locator('input').fill('A')
  await page.getByTestId('letter-to').locator('input').fill('B')
  await page.getByTestId('form-batch').click()
  await page.getByTestId('batch-detail').waitFor()
  await page.getByTestId('batch-counts').filter({ hasText: '4 to send' }).waitFor()
  const invitation = (await harness.call('app.InvitationsService.Batches')).find((b) => b.kind === 'invitation')
  const abcd = ['beth.carter@ashby-tc.gov.uk', 'cara@barton-pc.gov.uk', 'clerk@abbotsley-pc.gov.uk', 'dan.evans@bourne-tc.gov.uk']

  // 5. The pre-notification, formed from the batch, previewed, confirmed, received.
  await page.getByTestId('pre-notify').click()
  await page.getByTestId('batch-list').getByText(/Pre-notification/).first().waitFor()
  const pre = (await harness.call('app.InvitationsService.Batches')).find((b) => b.kind === 'pre_notification')
  assert.equal(pre.counts.total, 4, 'every invitee can be told: their contacts are on the portal')
  await openBatch(page, pre.name)
  assert.equal((await harness.mail()).length, 0, 'nothing is e-mailed before the confirmation')
  await sendOpenBatch(page, 4)
  const notified = await harness.waitForMail(4)
  assert.deepEqual(to(notified), abcd)

  // 6. The invitations, confirmed and received, each with a link.
  await openBatch(page, invitation.name)
  await sendOpenBatch(page, 4)
  const all = await harness.waitForMail(8)
  const invites = all.slice(4)
  assert.deepEqual(to(invites), abcd)
  const links = invites.map((m) => /https?:\/\/[^\s"<>]+\/invite\/[A-Za-z0-9_-]+/.exec(m.text)?.[0])
  assert.ok(links.every((l) => l?.startsWith(`${publicUrl}/invite/`)), `every invitation carries its link at the public address: ${links}`)

  // 7. Beth opens the link from her e-mail, sets a password and is signed in.
  const beth = invites.find((m) => m.to.includes('beth.carter@ashby-tc.gov.uk'))
  const link = /https?:\/\/[^\s"<>]+\/invite\/[A-Za-z0-9_-]+/.exec(beth.text)[0]
  // The same words as HTML, for mail programs that show it: the link as a button and as
  // the address.
  assert.ok(beth.html.includes(`href="${link}"`) && beth.html.includes('Accept the invitation'), `the HTML part: ${beth.html}`)
  const letter = await browser.context.newPage()
  await letter.setContent(beth.html)
  await letter.screenshot({ path: join(themedShotsDir, 'journey-council-invitation-email.png') })
  await letter.close()
  const portal = await browser.context.newPage()
  await acceptWithPassword(portal, link)
  await portal.getByText('beth.carter@ashby-tc.gov.uk').first().waitFor()
  await portal.screenshot({ path: join(themedShotsDir, 'journey-council-signed-in.png') })
  await portal.close()

  // 8. Reports: her invitation accepted, the other three pending.
  await harness.call('app.ConnectionService.SyncNow')
  await app.nav('Reports')
  await page.getByTestId('report-kind').getByText('Invitation status').click()
  const table = page.getByTestId('report-table')
  await table.getByText('beth.carter@ashby-tc.gov.uk').waitFor()
  const rows = await table.locator('tbody tr').allTextContents()
  const line = (email) => rows.find((r) => r.includes(email)) ?? ''
  assert.match(line('beth.carter@ashby-tc.gov.uk'), /Accepted/)
  for (const email of abcd.filter((e) => !e.startsWith('beth'))) assert.match(line(email), /Pending/, `${email}: ${line(email)}`)

  // 9. A reminder to everyone who has not activated, sent and received.
  await app.nav('Invitations')
  await page.locator('.n-tabs-tab').filter({ hasText: 'Follow-up' }).click()
  await page.getByTestId('remind-all').click()
  await page.locator('.n-tabs-tab').filter({ hasText: 'Batches' }).click()
  const reminder = (await harness.call('app.InvitationsService.Batches')).find((b) => b.kind === 'reminder')
  assert.equal(reminder.counts.total, 3)
  await openBatch(page, reminder.name)
  await sendOpenBatch(page, 3)
  const reminded = (await harness.waitForMail(11)).slice(8)
  assert.deepEqual(to(reminded), abcd.filter((e) => !e.startsWith('beth')))

  // 10. The audit log holds the desktop's own work too, under the officer's name: the
  // fix, the exclusion with its reason, the merge, the two Zoës told apart, both applies, and every batch formed
  // and sent.
  await harness.call('app.ConnectionService.SyncNow')
  const log = (await harness.call('app.AuditService.AuditLog', { entityType: '', entityId: '', actorId: '', action: '', organizationId: '', from: null, to: null, offset: 0, limit: 500 })).rows
  const work = log.filter((e) => e.entityType === 'import' || e.entityType === 'batch').reverse()
  const tally = {}
  for (const e of work) {
    assert.equal(e.actorName, 'Ann Reed', `${e.action} is recorded under the officer`)
    tally[e.action] = (tally[e.action] ?? 0) + 1
  }
  assert.deepEqual(tally, { 'import.fix': 1, 'import.exclude': 1, 'import.merge': 1, 'import.distinct': 1, 'import.apply': 2, 'batch.form': 3, 'batch.send': 3 })
  assert.equal(work.find((e) => e.action === 'import.exclude').reason, 'No address; Brampton to send one')
  await app.nav('Audit')
  await page.locator('[data-testid="audit-row"][data-action="batch.send"]').filter({ hasText: 'Ann Reed' }).filter({ hasText: reminder.name }).waitFor()
  await themedShots(page, 'journey-council-audit')
  app.assertNoPageErrors()
})
