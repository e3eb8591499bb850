// Plays the "system browser" for the sso package's tests: Debian Chromium driven by
// playwright-core signs in at oidc-provider's devInteractions pages and follows the
// redirect back to Gatehouse's loopback listener.
//
//   node browser-login.mjs <node_modules dir> <authorization URL> <login>
//
// Prints one JSON line: {"heading", "message", "landed", "blocked": [...]}, where landed
// is the page the browser ended on (without its query) and blocked lists requests to
// anything but loopback, which are refused: the tests never leave this machine.
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const [modulesDir, authURL, login] = process.argv.slice(2);
if (!modulesDir || !authURL || !login) {
  console.error('usage: node browser-login.mjs <node_modules dir> <authorization URL> <login>');
  process.exit(2);
}
const require = createRequire(path.join(path.resolve(modulesDir), '..', 'package.json'));
const { chromium } = require('playwright-core');

const isLoopback = (u) => {
  try {
    const { hostname } = new URL(u);
    return hostname === '127.0.0.1' || hostname === '[::1]' || hostname === '::1';
  } catch {
    return false;
  }
};

const profile = mkdtempSync(path.join(tmpdir(), 'gatehouse-chromium-'));
const blocked = [];
let context;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      // Belt and braces with the route below: no name resolves, so nothing but the
      // loopback addresses can be reached.
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE [::1]',
    ],
    // Keep Chromium off any session bus: under dbus-run-session it would start desktop
    // portals (and print their complaints) for nothing.
    env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: 'disabled:' },
    timeout: 60000,
  });
  await context.route('**/*', (route) => {
    const u = route.request().url();
    if (isLoopback(u)) return route.continue();
    blocked.push(u);
    return route.abort('blockedbyclient');
  });
  const page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(30000);

  await page.goto(authURL);
  await page.fill('input[name="login"]', login);
  await page.fill('input[name="password"]', 'any password will do');
  await page.click('button[type="submit"]');
  // Consent for the scopes (and offline_access).
  await page.waitForSelector('input[name="prompt"][value="consent"]', { state: 'attached' });
  await page.click('button[type="submit"]');
  await page.waitForURL((u) => u.pathname === '/callback' && isLoopback(u.href));
  const heading = (await page.textContent('#heading'))?.trim();
  const message = (await page.textContent('#message'))?.trim();
  const landed = new URL(page.url());
  process.stdout.write(`${JSON.stringify({ heading, message, landed: landed.origin + landed.pathname, blocked })}\n`);
} finally {
  if (context) await context.close();
  rmSync(profile, { recursive: true, force: true });
}
