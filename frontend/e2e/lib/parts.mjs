// External parts the browser tests need. A missing part fails the test when CI=true and
// skips it otherwise, so a developer without Chromium can still run the rest.
import { accessSync, constants } from 'node:fs'

// Debian's chromium-headless-shell: Chromium's own headless browser, built from the same
// source as the chromium package, without the desktop browser's windows, toolbar and
// WebUI pages that `chromium --headless` still runs behind the scenes. The browser tests are
// bound by this 2-core machine's CPU; the shell halved Chromium's share of it (one journey:
// 31.9 → 14.8 CPU-seconds) and the whole suite went from 380 to 300 s. The full chromium is
// taken when the shell is missing; CHROMIUM names another.
const shell = '/usr/bin/chromium-headless-shell'
export const chromiumPath = process.env.CHROMIUM || (hasExecutable(shell) ? shell : '/usr/bin/chromium')
export const chromiumHint = "install Debian's chromium-headless-shell (apt-get install chromium-headless-shell) or set CHROMIUM"

export function hasExecutable(path) {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

// need returns true if the part is there; otherwise it skips t (CI unset) or throws (CI=true).
export function need(t, what, present, hint) {
  if (present) return true
  const msg = `${what} is missing: ${hint}`
  if (process.env.CI === 'true') throw new Error(`${msg} (CI=true: a missing part is a failure)`)
  t.skip(msg)
  return false
}
