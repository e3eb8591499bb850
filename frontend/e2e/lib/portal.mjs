// The real parts a sign-in needs, for browser tests: oidc-provider (from npm) as the
// organisation's identity provider and the gatehouse-server binary as the portal server,
// each on 127.0.0.1 and stopped after the test.
import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { frontendDir, repoDir } from './harness.mjs'

export const clientId = 'gatehouse-desktop'

// firstLine resolves with the first stdout line of child that matches re.
function firstLine(child, re, what, stderr) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start within 60 s:\n${stderr()}`)), 60_000)
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = re.exec(line)
      if (m) {
        clearTimeout(timer)
        resolve(m)
      }
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${what} exited (${code}) before it was ready:\n${stderr()}`))
    })
  })
}

function spawnLogged(cmd, args, opts = {}) {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], ...opts })
  let err = ''
  child.stderr.on('data', (b) => {
    err += b
    if (process.env.HARNESS_VERBOSE) process.stderr.write(b)
  })
  const exited = new Promise((res) => child.on('exit', (code, signal) => res(code ?? signal)))
  return { child, stderr: () => err, exited }
}

// startProvider runs backend/sso/testdata/oidc-provider.mjs on 127.0.0.1 with a fresh
// RS256 key and returns its issuer.
export async function startProvider(t, dir) {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'e2e', alg: 'RS256', use: 'sig' }
  const config = join(dir, 'oidc-provider.json')
  writeFileSync(config, JSON.stringify({ port: 0, idTokenTTL: 3600, jwks: { keys: [jwk] } }), { mode: 0o600 })
  const script = join(repoDir, 'backend', 'sso', 'testdata', 'oidc-provider.mjs')
  const p = spawnLogged(process.execPath, [script, join(frontendDir, 'node_modules'), config])
  t.after(async () => {
    p.child.stdin.end() // the script stops when its stdin closes
    const timer = setTimeout(() => p.child.kill('SIGKILL'), 10_000)
    await p.exited
    clearTimeout(timer)
  })
  const [, line] = await firstLine(p.child, /^(\{.*"issuer".*\})$/, 'oidc-provider', p.stderr)
  return JSON.parse(line).issuer
}

// startPortal builds and runs gatehouse-server on 127.0.0.1, trusting issuer for the
// desktop's client ID, with admin as its first system administrator. With demo, the
// database holds the demonstration data first (gatehouse-server demo).
export async function startPortal(t, dir, issuer, { admin = 'admin@example.org', demo = false, extraArgs = [] } = {}) {
  const bin = join(dir, 'gatehouse-server')
  execFileSync('go', ['build', '-o', bin, './backend/cmd/gatehouse-server'], { cwd: repoDir, stdio: 'inherit' })
  if (demo) execFileSync(bin, ['demo', '--db', join(dir, 'portal.db')], { stdio: 'inherit', env: { ...process.env, GATEHOUSE_DB: '' } })
  const p = spawnLogged(bin, [
    'serve',
    '--listen', '127.0.0.1:0',
    '--db', join(dir, 'portal.db'),
    '--trusted-issuer', `${issuer}=${clientId}`,
    '--bootstrap-admin', admin,
    ...extraArgs,
  ], { env: { ...process.env, GATEHOUSE_TRUSTED_ISSUERS: '' } })
  t.after(async () => {
    p.child.kill('SIGTERM')
    const timer = setTimeout(() => p.child.kill('SIGKILL'), 15_000)
    const code = await p.exited
    clearTimeout(timer)
    assert.equal(code, 0, `gatehouse-server exited with ${code}:\n${p.stderr()}`)
  })
  const [, url] = await firstLine(p.child, /listening at (http:\/\/127\.0\.0\.1:\d+)/, 'gatehouse-server', p.stderr)
  return url
}

// signInAtProvider plays the administrator in their browser: the provider's login and
// consent pages, then back to Gatehouse's loopback page.
export async function signInAtProvider(page, authUrl, login) {
  await page.goto(authUrl)
  await page.fill('input[name="login"]', login)
  await page.fill('input[name="password"]', 'any password will do')
  await page.click('button[type="submit"]')
  const consent = page.locator('input[name="prompt"][value="consent"]')
  const back = page.waitForURL((u) => u.pathname === '/callback' && u.hostname === '127.0.0.1')
  await Promise.race([back, consent.waitFor({ state: 'attached' }).then(() => page.click('button[type="submit"]'))])
  await back
  return (await page.textContent('#heading'))?.trim()
}


// connectDesktop points the desktop open on page at the portal server and signs in there as
// login (oidc-provider's form takes any login; "olivia@x.org" keeps the address), through
// Settings → Server and sign-in, as an administrator does. The provider's pages open in a
// second page of the same browser, as the system browser would.
export async function connectDesktop(page, { portal, issuer, login }) {
  await page.getByTestId('nav').getByText('Settings', { exact: true }).click()
  await page.getByTestId('view-title').filter({ hasText: 'Settings' }).waitFor()
  await page.getByText('Server and sign-in', { exact: true }).click()
  await page.getByTestId('signin-server-url').fill(portal)
  await page.getByTestId('signin-issuer').fill(issuer)
  await page.getByTestId('signin-client-id').fill(clientId)
  await page.getByTestId('signin-save').click()
  await page.getByTestId('golive-connect-only').click()
  const authUrl = await page.getByTestId('signin-auth-url').inputValue()
  const idp = await page.context().newPage()
  assert.equal(await signInAtProvider(idp, authUrl, login), 'You are signed in')
  await idp.close()
  const email = login.includes('@') ? login.toLowerCase() : `${login.toLowerCase()}@example.org`
  await page.getByTestId('signin-email').filter({ hasText: email }).waitFor()
}

// linkIn finds the address starting with prefix in a message's text.
export function linkIn(text, prefix) {
  const at = text.indexOf(prefix)
  assert.ok(at >= 0, `no link ${prefix} in:\n${text}`)
  return text.slice(at).split(/[\s)>\]]/)[0]
}

// acceptWithPassword follows an invitation link in page, sets a password and waits for the
// portal's account page.
export async function acceptWithPassword(page, link, password = 'a long and private passphrase') {
  await page.goto(link)
  await page.locator('input[name="password"]').fill(password)
  await page.locator('input[name="confirm"]').fill(password)
  await page.locator('form').filter({ has: page.locator('input[name="password"]') }).locator('button[type="submit"]').click()
  await page.waitForURL(/\/account$/, { timeout: 10_000 }).catch(async (e) => {
    throw new Error(`${e.message}\n${page.url()}\n${await page.content()}`)
  })
}

// portalSignIn signs a person in on the portal's own pages with their organisation's account.
export async function portalSignIn(page, portal, login) {
  await page.goto(portal + '/')
  await page.getByText("Sign in with your organisation's account").click()
  await page.fill('input[name="login"]', login)
  await page.fill('input[name="password"]', 'any password will do')
  await page.click('button[type="submit"]')
  // Back at the portal: its callback either lets the person in (and moves on) or says why not.
  const back = page.waitForURL((u) => u.origin === portal)
  const consent = page.locator('input[name="prompt"][value="consent"]')
  await Promise.race([back, consent.waitFor({ state: 'attached' }).then(() => page.click('button[type="submit"]'))])
  await back
}
