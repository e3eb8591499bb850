// External parts the browser tests need. A missing part fails the test when CI=true and
// skips it otherwise, so a developer without Chromium can still run the rest.
import { accessSync, constants } from 'node:fs'

export const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium'

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
