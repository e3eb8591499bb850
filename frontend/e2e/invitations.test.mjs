// Invitations against the real App with the demo data: form a batch on the Batches tab, read
// the exact e-mail in the preview, send it through the embedded portal to an SMTP sink and
// watch the progress bar reach the end. The sink is a minimal SMTP server written here (the
// Go sink, backend/mail/mailtest, needs a testing.TB and has no command to run); it speaks
// plain SMTP on 127.0.0.1 and records every message.
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { test } from 'node:test'
import { themedShots } from './lib/app.mjs'
import { openDemo } from './lib/demo.mjs'

// startSink runs a tiny SMTP server: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT. When
// sink.hangUpOn names an address, the first message to it is kept but the connection
// ends before the server's answer: the sender cannot know whether it arrived.
async function startSink() {
  const messages = []
  const sink = { hangUpOn: '' }
  const server = createServer((sock) => {
    let buf = ''
    let inData = false
    let rcpts = []
    sock.setEncoding('latin1')
    const reply = (s) => sock.write(s + '\r\n')
    reply('220 sink ESMTP ready')
    sock.on('data', (chunk) => {
      buf += chunk
      for (;;) {
        if (inData) {
          const end = buf.indexOf('\r\n.\r\n')
          if (end < 0) return
          messages.push({ to: rcpts, data: buf.slice(0, end) })
          buf = buf.slice(end + 5)
          inData = false
          if (sink.hangUpOn && rcpts.includes(sink.hangUpOn)) {
            sink.hangUpOn = ''
            sock.destroy()
            return
          }
          rcpts = []
          reply('250 2.0.0 queued')
          continue
        }
        const nl = buf.indexOf('\r\n')
        if (nl < 0) return
        const line = buf.slice(0, nl)
        buf = buf.slice(nl + 2)
        const verb = line.slice(0, 4).toUpperCase()
        if (verb === 'EHLO') sock.write('250-sink\r\n250 8BITMIME\r\n')
        else if (verb === 'HELO') reply('250 sink')
        else if (verb === 'MAIL') reply('250 2.1.0 ok')
        else if (verb === 'RCPT') {
          rcpts.push(/<([^>]*)>/.exec(line)?.[1]?.toLowerCase() ?? '')
          reply('250 2.1.5 ok')
        } else if (verb === 'DATA') {
          inData = true
          reply('354 go ahead')
        } else if (verb === 'RSET') {
          rcpts = []
          reply('250 ok')
        } else if (verb === 'NOOP') reply('250 ok')
        else if (verb === 'QUIT') {
          reply('221 bye')
          sock.end()
          return
        } else reply('502 5.5.1 not implemented')
      }
    })
    sock.on('error', () => {})
  })
  await new Promise((res) => server.listen(0, '127.0.0.1', res))
  return Object.assign(sink, { port: server.address().port, messages, close: () => new Promise((res) => server.close(res)) })
}

// openWithSink opens the demo on Invitations with its mail going to a new sink and a public
// address for the local portal's links (without one, nothing with a link is sent).
async function openWithSink(t) {
  const sink = await startSink()
  t.after(() => sink.close())
  const app = await openDemo(t, { path: '/invitations' })
  if (!app) return {}
  await app.page.getByTestId('view-title').filter({ hasText: 'Invitations' }).waitFor()
  await app.call('SaveSMTPSettings', { host: '127.0.0.1', port: sink.port, security: 'none', username: '', from: 'Portal <portal@example.org>', ratePerSecond: 0, hasPassword: false }, '')
  await app.call('SavePortalSettings', { ...(await app.call('PortalSettings')).settings, publicUrl: 'https://portal.gatehouse.test' })
  return { app, sink }
}

test('invitations: form a batch, preview the e-mail, send it to the sink with progress', async (t) => {
  const { app, sink } = await openWithSink(t)
  if (!app) return
  const { page } = app

  // What is typed into the form stays when the administrator looks at another tab (the
  // council guide's small alphabetical batches: a range reset to A–Z would send to all).
  await page.getByTestId('letter-from').locator('input').fill('B')
  await page.getByTestId('letter-to').locator('input').fill('M')
  await page.locator('.n-tabs-tab').filter({ hasText: 'Follow-up' }).click()
  await page.locator('.n-tabs-tab').filter({ hasText: 'Batches' }).click()
  await page.getByTestId('letter-from').waitFor()
  assert.equal(await page.getByTestId('letter-from').locator('input').inputValue(), 'B')
  assert.equal(await page.getByTestId('letter-to').locator('input').inputValue(), 'M')
  await page.getByTestId('letter-from').locator('input').fill('A')
  await page.getByTestId('letter-to').locator('input').fill('Z')

  // Form the batch A–Z from the demo contacts.
  await page.getByTestId('form-batch').click()
  await page.getByTestId('batch-detail').waitFor()
  const [b] = await app.call('Batches')
  assert.ok(b && b.counts.total > 0, `the batch has recipients: ${JSON.stringify(b?.counts)}`)
  await page.getByTestId('batch-counts').filter({ hasText: `${b.counts.total} to send` }).waitFor()
  if (b.counts.excluded > 0) {
    // The people left out are summed up by reason, with counts; a reason opens to its
    // people, each with a checkbox to include them anyway.
    const reasons = page.getByTestId('excluded-reason')
    await reasons.first().waitFor()
    const recipients = (await app.call('BatchRecipients', b.id, { states: ['excluded'], limit: 1000 })).items
    const byCode = new Map()
    for (const r of recipients) for (const w of r.reasons ?? []) byCode.set(w.label, (byCode.get(w.label) ?? 0) + 1)
    assert.equal(await reasons.count(), byCode.size, 'one line per reason')
    for (const [label, n] of byCode) {
      await reasons.filter({ hasText: `${label} — ${n === 1 ? '1 person' : `${n} people`}` }).waitFor()
    }
    // Where the counts add up to more than the people left out, the screen says why.
    const several = recipients.some((r) => (r.reasons ?? []).length > 1)
    assert.equal(await page.getByTestId('excluded-several').count(), several ? 1 : 0, 'the note on people with several reasons')
    await reasons.first().click()
    await page.getByTestId('excluded').locator('.n-checkbox').first().waitFor()
    await app.shot('invitations-left-out-by-reason')
  }

  // The preview is the exact message the first recipient will receive.
  const pv = await app.call('BatchPreview', b.id, { states: ['queued'], limit: 1 })
  const first = pv.items[0].message
  await page.getByTestId('preview-subject').filter({ hasText: first.subject }).waitFor()
  assert.equal((await page.getByTestId('preview-to').textContent()).trim(), first.to)
  assert.ok((await page.getByTestId('preview-body').textContent()).includes(pv.items[0].recipient.name.split(' ')[0]))
  // The link in the preview is a stand-in, and the screen says so.
  assert.ok(first.body.includes(pv.linkPlaceholder), `the preview holds the stand-in link: ${first.body}`)
  await page.getByTestId('preview-link-note').filter({ hasText: pv.linkPlaceholder }).waitFor()
  await page.getByTestId('preview-link-note').scrollIntoViewIfNeeded()
  await themedShots(page, 'invitations-preview')

  // Send, after a confirmation that names how many, the sender and the subject, and shows
  // the first message; the progress bar runs to the end.
  await page.getByTestId('send-batch').click()
  const confirmText = page.getByTestId('confirm-text')
  await confirmText.filter({ hasText: `${b.counts.total === 1 ? '1 person' : `${b.counts.total} people`} will be e-mailed` }).waitFor()
  const said = await confirmText.textContent()
  assert.ok(said.includes(`Subject: ${first.subject}`), `the confirmation names the subject: ${said}`)
  assert.ok(said.includes(`From: ${first.from}`), `the confirmation names the sender: ${said}`)
  assert.ok(said.includes(`The first message, to ${first.to}`), `the confirmation shows a message: ${said}`)
  assert.equal(sink.messages.length, 0, 'nothing is sent before the confirmation')
  await app.shot('invitations-confirm-send')
  await page.getByTestId('confirm-yes').click()
  await page.getByTestId('progress-text').filter({ hasText: `${b.counts.total} of ${b.counts.total}` }).waitFor({ timeout: 60_000 })
  await page.getByTestId('batch-state').filter({ hasText: 'Finished' }).waitFor()

  // Every recipient got exactly one message, with a link.
  assert.equal(sink.messages.length, b.counts.total)
  const per = new Map()
  for (const m of sink.messages) for (const to of m.to) per.set(to, (per.get(to) ?? 0) + 1)
  assert.equal(per.size, b.counts.total)
  assert.ok([...per.values()].every((n) => n === 1), 'nobody got two messages')
  assert.ok(sink.messages.every((m) => m.data.replace(/=\r\n/g, '').includes('https://portal.gatehouse.test/invite/')), 'each message has a link at the public address')

  // Follow-up lists the invitations just sent.
  await page.locator('.n-tabs-tab').filter({ hasText: 'Follow-up' }).click()
  await page.getByTestId('followup').getByText(pv.items[0].recipient.email).first().waitFor()
  // Once synced, each row says its invitation is pending, and until when, without leaving the tab.
  await page.getByTestId('sync-now').click()
  await page.getByTestId('followup-status').filter({ hasText: 'Pending' }).first().waitFor()
  assert.equal(await page.getByTestId('followup-status').filter({ hasText: 'Pending' }).count(), b.counts.total)
  await page.getByTestId('followup-count').filter({ hasText: b.counts.total === 1 ? '1 invitation' : `${b.counts.total} invitations` }).waitFor()
  await page.mouse.move(5, 5)
  await themedShots(page, 'invitations-followup')

  // A search answered late does not replace the list for what has since been typed.
  const listed = (await app.call('InvitationsList', { search: '', status: '', notActivated: false, limit: 10 })).items
  assert.ok(listed.length >= 2, `two invitations to search between: ${listed.length}`)
  const [one, two] = listed
  const late = await app.holdAnswer('InvitationsList', one.email)
  const search = page.getByTestId('followup-search').locator('input')
  await search.fill(one.email)
  await late.asked
  await search.fill(two.email)
  const followup = page.getByTestId('followup')
  await followup.getByText(two.email).first().waitFor()
  await page.getByTestId('followup-count').filter({ hasText: /^1 invitation$/ }).waitFor()
  await late.release()
  assert.equal(await followup.getByText(one.email).count(), 0, `the list for ${one.email} came back over the one for ${two.email}`)
  await search.fill('')

  // Templates: the live preview fills the placeholders for a real contact.
  await page.locator('.n-tabs-tab').filter({ hasText: 'Templates' }).click()
  // Type only once the template has loaded: its loading would otherwise overwrite the text.
  await page.waitForFunction(() => (document.querySelector('[data-testid="template-subject"] input')?.value ?? '') !== '')
  await page.getByTestId('template-subject').locator('input').fill('Hello @UserName@, your @system.ProductName@ link')
  const previewSubject = page.getByTestId('template-preview-subject')
  await previewSubject.filter({ hasText: /^Hello .+, your .+ link$/ }).waitFor()
  assert.ok(!(await previewSubject.textContent()).includes('@'), 'no placeholder is left in the preview')

  // Choosing another message with this one edited asks first; Stay keeps the edit,
  // Discard drops it.
  await page.getByTestId('template-key').click()
  await page.locator('.n-base-select-option').filter({ hasText: 'Reminder' }).first().click()
  await page.getByTestId('unsaved-text').filter({ hasText: 'the message' }).waitFor()
  await page.getByTestId('unsaved-stay').click()
  assert.equal(await page.getByTestId('template-subject').locator('input').inputValue(), 'Hello @UserName@, your @system.ProductName@ link')
  await page.getByTestId('template-key').click()
  await page.locator('.n-base-select-option').filter({ hasText: 'Reminder' }).first().click()
  await page.getByTestId('unsaved-discard').click()
  await page.waitForFunction(() => !(document.querySelector('[data-testid="template-subject"] input')?.value ?? '').startsWith('Hello @UserName@, your'))

  app.assertNoPageErrors()
})

test('invitations: a late preview of one batch is not shown beside another', async (t) => {
  const app = await openDemo(t, { path: '/invitations' })
  if (!app) return
  const { page } = app
  await page.getByTestId('view-title').filter({ hasText: 'Invitations' }).waitFor()
  await app.call('SavePortalSettings', { ...(await app.call('PortalSettings')).settings, publicUrl: 'https://portal.gatehouse.test' })

  // Two batches, of different people. Each is waited for until it is the one open (the
  // first one's toast is still showing when the second is formed).
  for (const [from, to] of [
    ['A', 'C'],
    ['D', 'Z'],
  ]) {
    await page.getByTestId('letter-from').locator('input').fill(from)
    await page.getByTestId('letter-to').locator('input').fill(to)
    await page.getByTestId('form-batch').click()
    await page.getByTestId('batch-detail').filter({ hasText: `organisations ${from}` }).waitFor()
  }
  const [one, other] = await app.call('Batches')
  assert.ok(one && other, 'two batches formed')
  const firstTo = async (b) => (await app.call('BatchPreview', b.id, { states: ['queued'], limit: 1 })).items[0].message.to
  const otherTo = await firstTo(other)
  assert.notEqual(await firstTo(one), otherTo, 'the batches start with different people')

  // The first batch's preview answers only after the second batch is open: the page
  // must go on showing the second batch's e-mails, beside its Send button.
  const late = await app.holdAnswer('BatchPreview', one.id)
  const rows = page.getByTestId('batch-list').locator('tbody tr')
  await rows.filter({ hasText: one.name }).click()
  await late.asked
  await rows.filter({ hasText: other.name }).click()
  await page.getByTestId('preview-to').filter({ hasText: otherTo }).waitFor()
  await late.release()
  assert.equal((await page.getByTestId('preview-to').textContent()).trim(), otherTo, "the first batch's late preview is not shown")
  assert.ok((await page.getByTestId('batch-detail').textContent()).includes(other.name), 'the second batch is the one open')
  app.assertNoPageErrors()
})

test('invitations: a message edited and not saved is asked about before another tab replaces it', async (t) => {
  const app = await openDemo(t, { path: '/invitations' })
  if (!app) return
  const { page } = app
  await page.locator('.n-tabs-tab').filter({ hasText: 'Templates' }).click()
  await page.waitForFunction(() => (document.querySelector('[data-testid="template-subject"] input')?.value ?? '') !== '')
  const subject = page.getByTestId('template-subject').locator('input')
  await subject.fill('Your place at @OrganizationName@')
  await page.locator('.n-tabs-tab').filter({ hasText: 'SMTP' }).click()
  await page.getByTestId('unsaved-text').filter({ hasText: 'the message' }).waitFor()
  await page.getByTestId('unsaved-stay').click()
  assert.equal(await subject.inputValue(), 'Your place at @OrganizationName@', 'Stay keeps the edit')
  await page.locator('.n-tabs-tab').filter({ hasText: 'SMTP' }).click()
  await page.getByTestId('unsaved-save').click()
  await page.getByTestId('smtp-form').waitFor()
  const saved = (await app.call('Templates')).find((x) => x.key === 'invitation')
  assert.equal(saved.subject, 'Your place at @OrganizationName@', 'Save saved it before the tab changed')

  // The mail server settings are guarded the same way.
  await page.getByTestId('smtp-host').locator('input').fill('mail.example.org')
  await page.locator('.n-tabs-tab').filter({ hasText: 'Batches' }).click()
  await page.getByTestId('unsaved-text').filter({ hasText: 'the mail server settings' }).waitFor()
  await page.getByTestId('unsaved-discard').click()
  await page.getByTestId('form-batch').waitFor()
  assert.equal((await app.call('SMTPSettings')).host, '', 'Discard saved nothing')
  app.assertNoPageErrors()
})

test('invitations: a message whose delivery is unknown waits for a decision, then is sent again', async (t) => {
  const { app, sink } = await openWithSink(t)
  if (!app) return
  const { page } = app
  await page.getByTestId('form-batch').click()
  await page.getByTestId('batch-detail').waitFor()
  const [b] = await app.call('Batches')
  const first = (await app.call('BatchPreview', b.id, { states: ['queued'], limit: 1 })).items[0].recipient
  sink.hangUpOn = first.email.toLowerCase()

  // The connection ends while the first message is handed over: it may or may not have
  // arrived, and the batch says so instead of guessing.
  await page.getByTestId('send-batch').click()
  await page.getByTestId('confirm-yes').click()
  const unknowns = page.getByTestId('unknowns')
  await unknowns.filter({ hasText: first.email }).waitFor({ timeout: 60_000 })
  await page.getByTestId('batch-state').filter({ hasText: 'Finished' }).waitFor()
  assert.equal(await page.getByTestId('send-batch').count(), 0, 'a finished batch offers no Send')
  await themedShots(page, 'invitations-delivery-unknown')
  const others = b.counts.total - 1
  assert.equal(sink.messages.length, b.counts.total, 'every message reached the sink, one without an answer')

  // The administrator decides to send it again: the batch is ready to send once more.
  await unknowns.getByRole('button', { name: 'Send again' }).click()
  await app.toast('settled')
  await unknowns.waitFor({ state: 'detached' })
  await page.getByTestId('batch-state').filter({ hasText: 'Ready to send' }).waitFor()
  await page.getByTestId('send-batch').filter({ hasText: 'Send' }).click()
  await page.getByTestId('confirm-yes').click()
  await page.getByTestId('batch-state').filter({ hasText: 'Finished' }).waitFor({ timeout: 60_000 })
  const toFirst = sink.messages.filter((m) => m.to.includes(first.email.toLowerCase()))
  assert.equal(toFirst.length, 2, `${first.email} got the message again`)
  assert.equal(sink.messages.length - toFirst.length, others, 'nobody else got a second message')
  const after = (await app.call('Batches')).find((x) => x.id === b.id)
  assert.deepEqual([after.counts.unknown, after.counts.sent], [0, b.counts.total])
  app.assertNoPageErrors()
})
