// Imports: a spreadsheet dropped onto the window is read by the real Go App, its columns
// mapped, rows fixed and excluded while the finding counts follow, and the report exported
// through the save dialog as a real .xlsx workbook.
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { openApp } from './lib/app.mjs'
import { chooseOption, count } from './lib/imports.mjs'
import { repoDir } from './lib/harness.mjs'

const XLSX = createRequire(import.meta.url)('xlsx')
const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'imports')
const shotsDir = join(repoDir, 'build', 'bin', 'e2e-shots')


async function counts(page) {
  return page.evaluate(() =>
    Object.fromEntries(
      [...document.querySelectorAll('[data-testid^="count-"][data-code]')].map((el) => [
        el.dataset.code,
        Number(el.querySelector('[data-testid="count-value"]').textContent),
      ]),
    ),
  )
}

// pastFirstRun answers the first-run question (an empty local portal) when the shell asks
// it, as the administrator would before importing anything.
async function pastFirstRun(app) {
  const state = await app.harness.call('app.ConnectionService.FirstRunState').catch(() => ({ needsSetup: false }))
  if (!state.needsSetup) return
  await app.page.getByTestId('first-run-name').fill('Ann Reed')
  await app.page.getByTestId('first-run-email').fill('ann.reed@example.org')
  const empty = app.page.getByTestId('first-run-empty')
  await empty.click()
  await empty.waitFor({ state: 'detached' })
}


test('imports: drop a file, map a column, exclude a row, fix an e-mail, merge duplicates and export the report', async (t) => {
  const app = await openApp(t)
  if (!app) return
  const { page, harness } = app
  const out = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-export-'))
  t.after(() => rmSync(out, { recursive: true, force: true }))

  await pastFirstRun(app)
  await app.nav('Imports')
  await page.getByTestId('drop-zone').getByText('Drop a spreadsheet here or choose a file').waitFor()
  await page.getByTestId('no-imports').waitFor()

  // Drag and drop: the harness plays the operating system dropping the file on the window.
  await harness.drop([join(fixtures, 'members.csv')], 400, 300)
  const mapping = page.getByTestId('mapping-step')
  await mapping.waitFor()
  assert.equal(await page.getByTestId('mapping-remembered').count(), 0, 'nothing was remembered yet')

  // The header row under the title was found; "Body" was not recognised: map it by hand.
  assert.match(await mapping.getByTestId('header-row').textContent(), /Row 2: E-mail address, First name/)
  assert.match(await mapping.getByTestId('map-email').textContent(), /A · E-mail address/)
  assert.match(await mapping.getByTestId('map-organization').textContent(), /Not in this file/)
  // The field's label names its column choice, for screen readers and for this test.
  assert.equal(await page.getByLabel('Organisation', { exact: true }).count(), 1)
  await chooseOption(page, mapping.getByTestId('map-organization'), 'D · Body')
  assert.match(await mapping.getByTestId('map-organization').textContent(), /D · Body.*e\.g\. Acton PC/)
  await mapping.getByTestId('confirm-mapping').click()

  // The review: counts per finding.
  await page.getByTestId('finding-counts').waitFor()
  await count(page, 'shared_email', 2)
  assert.deepEqual(await counts(page), {
    missing_email: 1,
    invalid_email: 1,
    duplicate_email: 2,
    shared_email: 2,
    non_member: 1,
    role_expired: 1,
  })
  assert.match(await page.getByTestId('session-summary').textContent(), /9 rows · 9 included · 0 excluded · 8 with findings/)

  // Click a count to see only its rows, and again to see all.
  await page.getByTestId('count-shared_email').click()
  await page.getByTestId('rows-shown').filter({ hasText: /^2 rows/ }).waitFor()
  await page.getByTestId('row-4').waitFor()
  assert.equal(await page.locator('[role="row"][data-row]').count(), 2)
  await page.getByTestId('count-shared_email').click()
  await page.getByTestId('rows-shown').filter({ hasText: /^9 rows/ }).waitFor()

  // The badge says what is wrong and what to do.
  const badge = page.getByTestId('row-9').locator('.finding-badge[data-code="invalid_email"]')
  await badge.hover()
  await page.locator('.finding-tip').filter({ hasText: 'Invalid e-mail' }).waitFor()
  assert.match(await badge.getAttribute('aria-label'), /Suggested: fix the cell/)

  // Exclude the row without an address, with a reason.
  await page.getByTestId('row-6').getByTestId('exclude-row').click()
  const dialog = page.getByTestId('exclude-dialog')
  await dialog.waitFor()
  await dialog.getByRole('textbox').fill('No address; ask Dunton for one')
  await dialog.getByTestId('confirm-exclude').click()
  await count(page, 'missing_email', 0)
  await page.getByTestId('row-6').getByTestId('excluded-tag').waitFor()
  assert.match(await page.getByTestId('session-summary').textContent(), /9 rows · 8 included · 1 excluded/)

  // Fix the e-mail written with a display name, in the cell itself.
  await page.getByTestId('row-9').locator('[data-field="email"] button').click()
  const input = page.getByTestId('cell-input')
  await input.fill('jo@hinton.gov.uk')
  await input.press('Enter')
  await count(page, 'invalid_email', 0)
  const fixed = page.getByTestId('row-9').locator('[data-field="email"] button')
  await fixed.filter({ hasText: 'jo@hinton.gov.uk' }).waitFor()
  assert.match(await fixed.getAttribute('title'), /Fixed; the file has “Jo Kent <jo@hinton.gov.uk>”/)

  // Merge the duplicate: keep row 3, row 10 is left out as merged into it.
  await page.getByTestId('row-10').getByTestId('merge-row').click()
  const merge = page.getByTestId('merge-dialog')
  await merge.getByTestId('keep-3').waitFor()
  assert.match(await merge.getByTestId('keep-10').textContent(), /Row 10.*ann@acton\.gov\.uk/)
  await merge.getByTestId('keep-3').click()
  await merge.getByTestId('confirm-merge').click()
  await count(page, 'duplicate_email', 0)
  await page.getByTestId('row-10').getByText('Merged into 3').waitFor()

  // The counts followed each change; "Re-run checks" gives the same.
  await page.getByTestId('recheck').click()
  await page.getByTestId('recheck').locator('.n-base-loading').waitFor({ state: 'detached' })
  assert.deepEqual(await counts(page), { shared_email: 2, non_member: 1, role_expired: 1 })
  assert.equal(await page.getByTestId('stale').count(), 0)

  mkdirSync(shotsDir, { recursive: true })
  await page.mouse.move(5, 5)
  await page.screenshot({ path: join(shotsDir, 'imports-review.png') })

  // Preview: what importing would do.
  await page.getByTestId('open-preview').click()
  const preview = page.getByTestId('preview')
  await preview.waitFor()
  const stat = async (id) => Number((await preview.getByTestId(id).locator('.n-statistic-value__content').textContent()).trim())
  const [create, update, skip] = [await stat('preview-create'), await stat('preview-update'), await stat('preview-skip')]
  assert.equal(create + update + skip, 9)
  assert.ok(skip >= 2, 'the excluded and the merged rows are skipped')
  await page.keyboard.press('Escape')
  await preview.waitFor({ state: 'hidden' })

  // Export: the save dialog answers with a temporary path.
  const dest = join(out, 'members-checked.xlsx')
  await harness.answerSaveFile(dest)
  await page.getByTestId('export-report').click()
  await page.getByTestId('exported').filter({ hasText: dest }).waitFor()
  assert.ok(existsSync(dest), 'the report was written')
  const bytes = readFileSync(dest)
  assert.equal(bytes.subarray(0, 4).toString('binary'), 'PK\x03\x04', 'the report is a zip package')
  const wb = XLSX.read(bytes, { type: 'buffer' })
  assert.deepEqual(wb.SheetNames, ['Summary', 'Contacts', 'Findings'])
  const contacts = XLSX.utils.sheet_to_json(wb.Sheets.Contacts, { defval: '' })
  assert.equal(contacts.length, 9)
  const byRow = Object.fromEntries(contacts.map((r) => [r.Row, r]))
  assert.equal(byRow[9]['E-mail address'], 'jo@hinton.gov.uk')
  assert.equal(byRow[6].Included, 'No')
  assert.equal(byRow[6]['Excluded because'], 'No address; ask Dunton for one')
  assert.equal(byRow[10].Included, 'No')
  assert.equal(byRow[10]['Excluded because'], 'Merged into row 3.')
  const findings = XLSX.utils.sheet_to_json(wb.Sheets.Findings, { defval: '' })
  assert.deepEqual([...new Set(findings.map((f) => f.Code))].sort(), ['non_member', 'role_expired', 'shared_email'])

  // The import is kept: back to the list, it can be resumed.
  await page.getByTestId('back-to-list').click()
  await page.getByTestId('import-list').getByText('members.csv').waitFor()
  assert.equal(await page.getByTestId('import-list').getByTestId('import-state').textContent(), 'In review')
  await page.getByTestId('resume-import').click()
  await count(page, 'shared_email', 2)

  // Apply: one step that says what it will do, a confirmation, then the outcome row by row.
  const apply = page.getByTestId('apply')
  await apply.waitFor()
  const label = (await apply.textContent()).trim().replace(/…$/, '')
  assert.match(label, new RegExp(`^Create ${create} contacts? and \\d+ organisations?.*skip ${skip} rows?$`))
  await apply.click()
  const confirm = page.locator('.n-dialog').filter({ hasText: 'Apply the import?' })
  await confirm.waitFor()
  await confirm.getByRole('button', { name: label }).click()
  const result = page.getByTestId('apply-result')
  await result.waitFor()
  assert.match(await result.textContent(), new RegExp(`${create} (contacts? created|changes? waiting).*${skip} rows? skipped`))
  // Once the sync has sent them, the panel says they were created.
  await result.filter({ hasText: `${create} contacts created` }).waitFor()
  // Each row says what became of it.
  await page.getByTestId('row-result').filter({ hasText: 'Created' }).first().waitFor()
  assert.equal(await page.getByTestId('row-result').filter({ hasText: 'Skipped' }).count() >= 1, true)
  // The rows are fixed now: no more checks, fixes or column changes.
  assert.equal(await page.getByTestId('recheck').count(), 0)
  assert.equal(await page.getByTestId('change-columns').count(), 0)
  await page.mouse.move(5, 5)
  await page.screenshot({ path: join(shotsDir, 'imports-applied.png') })
  await page.getByTestId('theme-toggle').click()
  await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark')
  await page.waitForFunction(() => document.getAnimations().length === 0)
  await page.screenshot({ path: join(shotsDir, 'imports-applied-dark.png') })
  await page.getByTestId('theme-toggle').click()
  await page.waitForFunction(() => document.documentElement.dataset.theme === 'light')

  // The result file: the sheet as it came, with Result, Reason and Gatehouse id.
  const resultFile = join(out, 'members - result.xlsx')
  await harness.answerSaveFile(resultFile)
  await page.getByTestId('apply-save-results').click()
  await page.getByTestId('apply-saved').filter({ hasText: resultFile }).waitFor()
  const rwb = XLSX.read(readFileSync(resultFile), { type: 'buffer' })
  const rrows = XLSX.utils.sheet_to_json(rwb.Sheets[rwb.SheetNames[0]], { defval: '' })
  assert.equal(rrows.length, 9)
  const results = rrows.map((r) => r.Result)
  assert.equal(results.filter((r) => r === 'Created' || r === 'Waiting to be sent').length, create)
  assert.equal(results.filter((r) => r === 'Skipped').length, skip)
  for (const r of rrows) {
    if (r.Result === 'Skipped') assert.ok(r.Reason, `a skipped row says why: ${JSON.stringify(r)}`)
    else assert.match(r['Gatehouse id'], /^con_/)
  }
  app.assertNoPageErrors()
})

test('imports: choose a workbook with two sheets, pick one, and work the table by keyboard', async (t) => {
  const app = await openApp(t)
  if (!app) return
  const { page, harness } = app
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-import-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))

  // A workbook written by another program (SheetJS), the contacts on its second sheet.
  const wb = XLSX.utils.book_new()
  XLSX.utils.book_append_sheet(wb, XLSX.utils.aoa_to_sheet([['Read me first'], ['The list is on the next sheet.']]), 'Notes')
  XLSX.utils.book_append_sheet(
    wb,
    XLSX.utils.aoa_to_sheet([
      ['Email', 'Full name', 'Organisation'],
      ['ann@acton.gov.uk', 'Ann Lee', 'Acton PC'],
      ['bob@barton', 'Bob Ray', 'Barton PC'],
      ['cara@carlton.gov.uk', 'Cara Doe', 'Carlton PC'],
    ]),
    'Contacts',
  )
  const file = join(dir, 'two-sheets.xlsx')
  XLSX.writeFile(wb, file)

  await pastFirstRun(app)
  await app.nav('Imports')
  await harness.answerOpenFile(file)
  await page.getByTestId('choose-file').click()
  const choice = page.getByTestId('sheet-choice')
  await choice.waitFor()
  await choice.getByText('Contacts', { exact: true }).click()
  await choice.getByTestId('read-sheet').click()

  // Every column was recognised: confirm as proposed.
  await page.getByTestId('mapping-step').waitFor()
  await page.getByTestId('confirm-mapping').click()
  await count(page, 'invalid_email', 1)

  // Keyboard: into the grid, down to the bad address, edit it with Enter, save with Enter.
  await page.getByTestId('row-2').focus()
  await page.keyboard.press('ArrowDown')
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.row), '3')
  await page.keyboard.press('Enter')
  const input = page.getByTestId('cell-input')
  await input.waitFor()
  assert.equal(await input.inputValue(), 'bob@barton')
  await input.fill('bob@barton.gov.uk')
  await page.keyboard.press('Enter')
  await count(page, 'invalid_email', 0)
  await page.getByTestId('no-findings').waitFor()
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.row), '3', 'focus returns to the row')

  // Space selects the row; the selection offers exclusion for it.
  await page.keyboard.press('Space')
  await page.getByTestId('selection').getByText('1 selected').waitFor()
  app.assertNoPageErrors()
})
