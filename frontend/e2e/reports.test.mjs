// Reports against the real App with the demo data: a click on a chart segment (a real mouse
// click on the ECharts canvas) filters the table below, and the filtered report is exported
// through the save dialog as a real .xlsx workbook.
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { themedShots } from './lib/app.mjs'
import { openDemo } from './lib/demo.mjs'

const XLSX = createRequire(import.meta.url)('xlsx')

// barPoint returns page coordinates inside bar i of a bar chart, from the chart's own
// geometry, so the click lands where a user would click.
async function barPoint(page, chart, i, value) {
  return page.evaluate(
    ([name, i, value]) => {
      const c = window.__gatehouseCharts?.[name]?.chart
      if (!c) throw new Error(`chart ${name} is not on the page`)
      c.getDom().scrollIntoView({ block: 'center' }) // the charts sit below the table
      const [x, y] = c.convertToPixel({ seriesIndex: 0 }, [i, value / 2])
      const box = c.getDom().getBoundingClientRect()
      return { x: box.left + x, y: box.top + y }
    },
    [chart, i, value],
  )
}

test('reports: click the never-logged-in bar, the table follows, export it to Excel', async (t) => {
  const app = await openDemo(t, { path: '/reports' })
  if (!app) return
  const { page, harness } = app
  const out = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-report-'))
  t.after(() => rmSync(out, { recursive: true, force: true }))

  await page.getByTestId('view-title').filter({ hasText: 'Reports' }).waitFor()
  const fig = await harness.call('app.ReportsService.ReportFigures', {})
  const never = fig.loginStates.find((c) => c.key === 'never')
  assert.ok(never && never.count > 0, `the demo has people who never logged in (${JSON.stringify(fig.loginStates)})`)
  const all = await harness.call('app.ReportsService.ReportTable', 'logins', {}, { key: '', desc: false }, 0, 1)
  assert.ok(all.total > never.count, 'some people did log in')

  // Unfiltered first.
  await page.getByTestId('report-total').filter({ hasText: `${all.total.toLocaleString('en')} rows` }).waitFor()
  await page.waitForFunction(() => !!window.__gatehouseCharts?.loginStates?.chart)

  // Click the "Never logged in" bar.
  const idx = fig.loginStates.indexOf(never)
  const pt = await barPoint(page, 'loginStates', idx, never.count)
  await page.mouse.click(pt.x, pt.y)
  await page.getByTestId('chip-login').filter({ hasText: 'Never logged in' }).waitFor()
  await themedShots(page, 'reports-charts')
  await page.getByTestId('report-total').filter({ hasText: `${never.count.toLocaleString('en')} ${never.count === 1 ? 'row' : 'rows'}` }).waitFor()
  const table = page.getByTestId('report-table')
  await table.getByText('Never logged in').first().waitFor()
  assert.equal(await table.getByText('Logged in recently').count(), 0, 'only people who never logged in are listed')

  // Export the filtered report: the harness answers the save dialog.
  const dest = join(out, 'never-logged-in.xlsx')
  await harness.answerSaveFile(dest)
  await page.getByTestId('export-xlsx').click()
  await page.getByTestId('export-saved').filter({ hasText: dest }).waitFor()
  assert.ok(existsSync(dest), 'the workbook was saved')
  const wb = XLSX.read(readFileSync(dest), { cellDates: true })
  assert.deepEqual(wb.SheetNames, ['Latest logins', 'Summary'])
  const rows = XLSX.utils.sheet_to_json(wb.Sheets['Latest logins'], { header: 1, defval: null })
  assert.equal(rows.length, never.count + 1, 'a header and one row per person who never logged in')
  assert.equal(rows[0][0], 'Name')
  const login = rows[0].indexOf('Login')
  assert.ok(rows.slice(1).every((r) => r[login] === 'Never logged in'), 'every exported row is a never-logged-in person')
  const summary = XLSX.utils.sheet_to_json(wb.Sheets.Summary, { header: 1 })
  assert.ok(summary.some((r) => r[0] === 'Filter' && r[1] === 'never logged in'), 'the summary names the filter')

  // Removing the chip brings everyone back.
  await page.getByTestId('chip-login').locator('.n-tag__close, .n-base-close').click()
  await page.getByTestId('report-total').filter({ hasText: `${all.total.toLocaleString('en')} rows` }).waitFor()
  app.assertNoPageErrors?.()
})
