// The fixture of the people screens' browser tests: the real Go App in the harness with the
// demo portal loaded and synced (-demo), the built frontend in Chromium, a screenshot of the
// end state in build/bin/e2e-shots/, torn down after the test.
//
//   const app = await openDemo(t)                  // null when Chromium is missing (CI unset)
//   await app.nav('Approvals')
//   const id = await app.userId('oscar.bell@')     // an account ID by e-mail, from the App
//   await app.other('POST', `/api/v1/accounts/${id}/deny`, { reason: 'x' })  // a second administrator
//   await app.shot('approvals-queue')
import assert from 'node:assert/strict'
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { launch } from './browser.mjs'
import { distDir, repoDir, startHarness } from './harness.mjs'
import { chromiumHint, chromiumPath, hasExecutable, need } from './parts.mjs'

export const demoShotsDir = join(repoDir, 'build', 'bin', 'e2e-shots')

const slug = (s) => s.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase()

export async function openDemo(t, { demo = true, extraArgs = [], path = '/users', viewport, startTimeout } = {}) {
  if (!need(t, 'Chromium', hasExecutable(chromiumPath), chromiumHint)) {
    return null
  }
  // E2E_DIST serves another build of the frontend (the harness takes the last -dist).
  const dist = process.env.E2E_DIST || distDir
  if (!existsSync(join(dist, 'index.html'))) throw new Error(`${dist}/index.html is missing: run \`npm run build\` in frontend/ first`)

  // -sync-interval 1h: nothing pulls behind a test's back; actions still push at once.
  const args = [...(demo ? ['-demo'] : []), '-sync-interval', '1h', ...(process.env.E2E_DIST ? ['-dist', dist] : []), ...extraArgs]
  const harness = await startHarness({ version: 'e2e', extraArgs: args, startTimeout })
  const browser = await launch(viewport ? { viewport } : undefined)
  const page = browser.context.pages()[0] ?? (await browser.context.newPage())
  const pageErrors = []
  page.on('pageerror', (e) => pageErrors.push(e))
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(new Error(`console.error: ${m.text()} (${m.location().url})`))
  })

  t.after(async () => {
    await shot(page, `${slug(t.name)}-end`).catch(() => {})
    await browser.close()
    const code = await harness.stop()
    assert.equal(code, 0, `harness exited with ${code}:\n${harness.stderr()}`)
  })

  const info = await harness.info()

  await page.goto(new URL(`#${path}`, harness.url).href)
  await page.getByTestId('nav').waitFor()

  // A bound method that returns an error answers the bridge with HTTP 500, which Chromium
  // logs as a failed resource; the real Wails window does not. Tests name the calls they
  // expect to fail.
  const failing = new Set()

  const app = {
    page,
    harness,
    info,
    pageErrors,
    async nav(label) {
      await page.getByTestId('nav').getByText(label, { exact: true }).click()
      await page.getByTestId('view-title').filter({ hasText: label }).waitFor()
    },
    // call runs a bound method straight from Node, as the page would.
    call: async (method, ...args) => harness.call(await harness.bound(method), ...args),
    // holdAnswer makes a late answer happen every time: the page's calls of method whose
    // arguments contain match are answered only once release() is called. asked settles
    // when such a call is made; release() returns once its answer has been drawn.
    async holdAnswer(method, match) {
      const pattern = `**/bridge/call/${await harness.bound(method)}`
      let release, asked, delivered
      const held = new Promise((resolve) => (release = resolve))
      const askedFor = new Promise((resolve) => (asked = resolve))
      const answered = new Promise((resolve) => (delivered = resolve))
      await page.route(pattern, async (route) => {
        if (!route.request().postData()?.includes(match)) return route.continue()
        asked()
        const response = await route.fetch()
        await held
        await route.fulfill({ response })
        delivered()
      })
      return {
        asked: askedFor,
        async release() {
          release()
          await answered
          await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))))
          await page.unroute(pattern)
        },
      }
    },
    // user finds one account by (a unique part of) its e-mail through SearchUsers.
    async user(email) {
      const page = await harness.call('app.UsersService.SearchUsers', query({ query: email }))
      const hits = page.rows.filter((r) => r.email.startsWith(email) || r.email === email)
      assert.equal(hits.length, 1, `exactly one account should match ${email}; got ${page.rows.map((r) => r.email).join(', ')}`)
      return hits[0]
    },
    async userId(email) {
      return (await app.user(email)).id
    },
    // other acts as a second administrator on the portal server itself.
    async other(method, path, body) {
      const res = await fetch(new URL(path, info.portalUrl), {
        method,
        headers: { Authorization: `Bearer ${info.portalToken}`, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
      const text = await res.text()
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`)
      return text ? JSON.parse(text) : null
    },
    // synced waits until the status bar says nothing is pending (the server has every change).
    async synced() {
      await app.call('SyncNow')
      await page.getByTestId('status-pending').filter({ hasText: 'Pending changes: 0' }).waitFor()
    },
    shot: (name) => shot(page, name),
    // toast waits for a success or error message containing text.
    async toast(text) {
      await page.locator('.n-message').filter({ hasText: text }).first().waitFor()
    },
    // toastGone waits until no message containing text shows, so that the next toast(text)
    // waits for a new one and not for one still on screen.
    async toastGone(text) {
      await page.locator('.n-message').filter({ hasText: text }).first().waitFor({ state: 'detached' })
    },
    // confirm answers the open confirmation dialog.
    async confirm(yes = true) {
      const d = page.locator('.n-dialog')
      await d.waitFor()
      await d.getByTestId(yes ? 'confirm-yes' : 'confirm-no').click()
      await d.waitFor({ state: 'detached' })
    },
    expectFailedCall(method) {
      failing.add(method)
    },
    assertNoPageErrors() {
      const expected = (e) => {
        const m = /Failed to load resource: .* \(https?:\/\/[^/]+\/bridge\/call\/app\.\w+Service\.(\w+)\)$/.exec(String(e))
        return m && failing.has(m[1])
      }
      assert.deepEqual(pageErrors.filter((e) => !expected(e)).map(String), [], 'the page reported errors')
    },
  }
  return app
}

// query is a UserQuery with defaults.
export function query(over = {}) {
  return {
    query: '',
    status: [],
    kind: '',
    role: '',
    organizationId: '',
    orgAdmin: null,
    lastLogin: '',
    ghost: false,
    pendingOnly: false,
    offset: 0,
    limit: 100,
    sort: 'name',
    desc: false,
    ...over,
  }
}

export async function shot(page, name) {
  mkdirSync(demoShotsDir, { recursive: true })
  const file = join(demoShotsDir, `${slug(name)}.png`)
  // A drawer still sliding in is not what the person sees: wait (briefly) for the animations
  // that end; a spinner's never does.
  await page
    .waitForFunction(() => document.getAnimations().every((a) => a.effect?.getComputedTiming().endTime === Infinity), null, { timeout: 3000 })
    .catch(() => {})
  await page.screenshot({ path: file })
  return file
}
