// Writes the rows of a login report with SheetJS (npm "xlsx", from frontend/node_modules),
// for comparison with Gatehouse's own writer in BenchmarkExportLogins100k.
//
//   node write_sheetjs.js rows.json out.xlsx
//
// rows.json: {"columns": ["Name", ...], "dates": [5], "rows": [["Ada", ..., "2025-06-28T12:00:00Z"], ...]}
// Only building the sheet and writing the file are timed; reading the JSON is not.
// Prints one JSON line: {"rows": N, "ms": M, "maxRssMB": R}.
'use strict'
const fs = require('fs')
const path = require('path')

const XLSX = require(path.resolve(__dirname, '../../../../frontend/node_modules/xlsx'))
const [input, output] = process.argv.slice(2)
if (!input || !output) {
  console.error('usage: node write_sheetjs.js rows.json out.xlsx')
  process.exit(2)
}
const data = JSON.parse(fs.readFileSync(input, 'utf8'))
const dates = new Set(data.dates)
const aoa = [data.columns]
for (const r of data.rows) {
  aoa.push(r.map((v, i) => (dates.has(i) && v ? new Date(v) : v)))
}

const t0 = process.hrtime.bigint()
const ws = XLSX.utils.aoa_to_sheet(aoa, { cellDates: true, dateNF: 'yyyy-mm-dd hh:mm' })
ws['!autofilter'] = { ref: ws['!ref'] }
ws['!cols'] = data.columns.map(() => ({ wch: 20 }))
const wb = XLSX.utils.book_new()
XLSX.utils.book_append_sheet(wb, ws, 'Latest logins')
XLSX.writeFile(wb, output, { compression: true })
const ms = Number(process.hrtime.bigint() - t0) / 1e6
console.log(JSON.stringify({ rows: data.rows.length, ms, maxRssMB: process.resourceUsage().maxRSS / 1024 }))
