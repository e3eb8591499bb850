#!/usr/bin/env node
// Reads the first sheet of an .xlsx with SheetJS (npm "xlsx") into rows of raw values,
// the same work Gatehouse's reader does, and prints the time and peak memory so that
// `make bench` can show both side by side:
//
//   node backend/sheets/testdata/bench/read_sheetjs.js FILE.xlsx [runs]
//
// SheetJS is looked up in $SHEETJS_PATH, then the usual node_modules folders, then the
// repository's frontend/node_modules.
'use strict';
const path = require('path');

function loadXLSX() {
  const tries = [process.env.SHEETJS_PATH, 'xlsx', path.join(__dirname, '..', '..', '..', '..', 'frontend', 'node_modules', 'xlsx')];
  for (const t of tries) {
    if (!t) continue;
    try { return require(t); } catch (e) { /* try the next place */ }
  }
  console.error('SheetJS (npm package "xlsx") not found: npm install xlsx in frontend/, or set SHEETJS_PATH');
  process.exit(2);
}

const file = process.argv[2];
const runs = Number(process.argv[3] || 1);
if (!file) {
  console.error('usage: read_sheetjs.js FILE.xlsx [runs]');
  process.exit(2);
}
const XLSX = loadXLSX();
let peakRSS = 0;
const timer = setInterval(() => { peakRSS = Math.max(peakRSS, process.memoryUsage().rss); }, 5);
timer.unref();
let best = Infinity;
let rows = 0;
for (let i = 0; i < runs; i++) {
  const start = process.hrtime.bigint();
  const wb = XLSX.readFile(file, { dense: true });
  const ws = wb.Sheets[wb.SheetNames[0]];
  rows = XLSX.utils.sheet_to_json(ws, { header: 1, raw: true }).length;
  peakRSS = Math.max(peakRSS, process.memoryUsage().rss);
  best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e6);
}
clearInterval(timer);
console.log(`SheetJS ${XLSX.version}: read ${rows} rows in ${(best / 1000).toFixed(2)} s (best of ${runs}), peak RSS ${(peakRSS / 1048576).toFixed(0)} MB`);
