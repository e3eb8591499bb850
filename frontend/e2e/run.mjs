// Runs the browser tests: every e2e/*.test.mjs (or the files named on the command line),
// one file at a time, with the spec reporter and a closing "e2e: N passed, N failed".
// Exits non-zero if anything failed.
import { spawn } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { launchOptions } from './lib/browser.mjs'
import { chromiumPath, hasExecutable } from './lib/parts.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const files = process.argv.length > 2
  ? process.argv.slice(2)
  : readdirSync(here).filter((f) => f.endsWith('.test.mjs')).sort().map((f) => join(here, f))
if (files.length === 0) {
  console.error('e2e: no test files found')
  process.exit(1)
}
// One Chromium for every file (see lib/browser.mjs). Without Chromium, each test says what
// is missing itself.
const server = hasExecutable(chromiumPath) ? await chromium.launchServer(launchOptions()) : null
const child = spawn(process.execPath, [
  '--test',
  '--test-concurrency=1',
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  `--test-reporter=${join(here, 'lib', 'summary-reporter.mjs')}`, '--test-reporter-destination=stdout',
  ...files,
], { stdio: 'inherit', env: { ...process.env, ...(server ? { GATEHOUSE_E2E_BROWSER: server.wsEndpoint() } : {}) } })
const status = await new Promise((res) => child.on('exit', (code) => res(code ?? 1)))
await server?.close()
process.exit(status)
