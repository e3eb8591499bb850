// Debian's Chromium through playwright-core, with no network chatter.
import { chromium } from 'playwright-core'
import { chromiumPath } from './parts.mjs'

export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  // A portal's public address in the tests (portal.gatehouse.test) is this computer: the
  // name resolves to loopback, and nothing ever leaves it.
  '--host-resolver-rules=MAP *.gatehouse.test 127.0.0.1, EXCLUDE localhost',
]

// One Chromium serves every test: run.mjs starts it once (launchServer) and hands its
// address down in GATEHOUSE_E2E_BROWSER; a test file run on its own launches one for its
// process. Starting Chromium costs about 1.8 s of a busy 2-core machine, and the suite
// opened it some sixty times. Each person in a test still gets a browser of their own: a
// fresh context shares no cookies, storage or cache with any other.
let shared = null // Promise<Browser>
let users = 0

function browser() {
  if (!shared) {
    const ws = process.env.GATEHOUSE_E2E_BROWSER
    shared = ws ? chromium.connect(ws) : chromium.launch(launchOptions())
    shared.catch(() => (shared = null))
  }
  return shared
}

// launchOptions are Chromium's, for run.mjs's shared server and for a lone test file.
export function launchOptions() {
  return { executablePath: chromiumPath, headless: true, args: chromiumArgs }
}

// launch returns a fresh browser context; close() closes it, and the connection to the
// shared Chromium with the last one, so that the test process can end.
export async function launch({ viewport = { width: 1280, height: 860 } } = {}) {
  users++ // counted before waiting, so that a context closing meanwhile keeps the browser
  let context
  try {
    context = await (await browser()).newContext({ viewport })
  } catch (e) {
    users--
    throw e
  }
  return {
    context,
    async close() {
      await context.close()
      if (--users === 0 && shared) {
        const last = shared
        shared = null
        await (await last).close()
      }
    },
  }
}

// expectURL waits until the page's address matches re: the router changes it after the
// click or the first render that asked for it, not during. Fails with message after 10 s.
export async function expectURL(page, re, message = `the address matches ${re}`) {
  const deadline = Date.now() + 10_000
  while (!re.test(page.url())) {
    if (Date.now() > deadline) {
      throw new Error(`${message}: the page is at ${page.url()}`)
    }
    await new Promise((res) => setTimeout(res, 25))
  }
}
