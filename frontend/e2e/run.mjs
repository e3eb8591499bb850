// Runs the browser tests: every e2e/*.test.mjs (or the files named on the command line),
// two files at a time, with the spec reporter and a closing "e2e: N passed, N failed".
// Each file starts its own harness, portal and data folders on ports of its own, so files
// share nothing but the browser. One file at a time left the 2-core machine partly idle
// (a file waits for mail rounds, syncs and pages); two at a time keep it about 90 % busy,
// and took 356 s where one at a time took 428–511 s. Timings a file prints (users-100k)
// are then taken beside another file: make bench runs that file alone.
// Exits non-zero if anything failed.
import { spawn } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { launchOptions } from './lib/browser.mjs'
import { chromiumPath, hasExecutable } from './lib/parts.mjs'

const here = dirname(fileURLToPath(import.meta.url))
// The files that take longest start first (30–60 s each on the 2-core machine), so that
// the two lanes end at about the same time rather than one waiting for a long file that
// started last; the rest follow in alphabetical order. A name missing here only runs later.
const longest = ['journey-creatio', 'a11y', 'journey-council', 'journey-pantry', 'users-100k', 'journey-scim', 'journey-approval', 'settings', 'layout', 'policy']
const rank = (f) => {
  const i = longest.indexOf(f.replace(/\.test\.mjs$/, ''))
  return i < 0 ? longest.length : i
}
const files = process.argv.length > 2
  ? process.argv.slice(2)
  : readdirSync(here).filter((f) => f.endsWith('.test.mjs')).sort().sort((a, b) => rank(a) - rank(b)).map((f) => join(here, f))
if (files.length === 0) {
  console.error('e2e: no test files found')
  process.exit(1)
}
// One Chromium for every file (see lib/browser.mjs). Without Chromium, each test says what
// is missing itself.
const server = hasExecutable(chromiumPath) ? await chromium.launchServer(launchOptions()) : null
const child = spawn(process.execPath, [
  '--test',
  '--test-concurrency=2',
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  `--test-reporter=${join(here, 'lib', 'summary-reporter.mjs')}`, '--test-reporter-destination=stdout',
  ...files,
], { stdio: 'inherit', env: { ...process.env, ...(server ? { GATEHOUSE_E2E_BROWSER: server.wsEndpoint() } : {}) } })
const status = await new Promise((res) => child.on('exit', (code) => res(code ?? 1)))
await server?.close()
process.exit(status)
