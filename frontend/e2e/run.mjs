// Runs the browser tests: every e2e/*.test.mjs (or the files named on the command line),
// one file at a time, with the spec reporter and a closing "e2e: N passed, N failed".
// Exits non-zero if anything failed.
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const files = process.argv.length > 2
  ? process.argv.slice(2)
  : readdirSync(here).filter((f) => f.endsWith('.test.mjs')).sort().map((f) => join(here, f))
if (files.length === 0) {
  console.error('e2e: no test files found')
  process.exit(1)
}
const r = spawnSync(process.execPath, [
  '--test',
  '--test-concurrency=1',
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  `--test-reporter=${join(here, 'lib', 'summary-reporter.mjs')}`, '--test-reporter-destination=stdout',
  ...files,
], { stdio: 'inherit' })
process.exit(r.status ?? 1)
