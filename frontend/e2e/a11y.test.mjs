// Accessibility: every screen checked with axe-core in Chromium, in both themes, with the
// demo portal's data on it, and a keyboard-only walk: the skip link first, then the
// navigation in order, each entry opened with Enter.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { test } from 'node:test'
import { eachScreenInBothThemes, screens, themedShots } from './lib/app.mjs'
import { openDemo } from './lib/demo.mjs'

const require = createRequire(import.meta.url)
const axePath = require.resolve('axe-core/axe.min.js')

// violations runs axe on the page as it is and returns the serious and critical ones, each
// as "rule: what (where)".
async function violations(page) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: axePath })
  const res = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] })
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }))
  })
  return res.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help} (${v.nodes.join(', ')})`)
}

test('accessibility: no serious or critical axe violation on any screen, in either theme; the keyboard reaches every screen', { timeout: 240_000 }, async (t) => {
  const app = await openDemo(t)
  if (!app) return
  const { page } = app

  // Keyboard only: the first Tab is the skip link, which takes focus to the screen; then the
  // navigation, in order, each opened with Enter.
  await page.getByTestId('view-title').filter({ hasText: 'Users' }).waitFor()
  await page.evaluate(() => document.activeElement instanceof HTMLElement && document.activeElement.blur())
  await page.keyboard.press('Tab')
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'skip-link', 'the first Tab lands on the skip link')
  await page.keyboard.press('Enter')
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'content', 'the skip link takes focus to the screen')
  // From the header's last control, Tab goes through the navigation before the screen.
  await page.getByTestId('theme-toggle').focus()
  const order = []
  for (let i = 0; i < 12 && order.length < screens.length; i++) {
    await page.keyboard.press('Tab')
    const el = await page.evaluate(() => ({ nav: !!document.activeElement?.closest('nav'), text: document.activeElement?.textContent?.trim() ?? '' }))
    if (el.nav) order.push(el.text)
  }
  assert.deepEqual(order, screens, 'Tab walks the navigation in order')
  // Enter on a navigation entry opens its screen.
  await page.locator('nav a.nav-item').filter({ hasText: 'Audit' }).focus()
  await page.keyboard.press('Enter')
  await page.getByTestId('view-title').filter({ hasText: 'Audit' }).waitFor()

  await app.nav('Approvals')
  await themedShots(page, 'shell-navigation')
  const found = []
  await eachScreenInBothThemes(app, async (label, theme) => {
    for (const v of await violations(page)) found.push(`${label} (${theme}): ${v}`)
  })
  // The Settings tabs past the first, in the dark theme the walk ended in, then the light.
  for (const theme of ['dark', 'light']) {
    if (theme === 'light') {
      await page.getByTestId('theme-toggle').click()
      await page.waitForFunction(() => document.documentElement.dataset.theme === 'light')
    }
    for (const [tab, ready] of [['Portal', 'portal-settings'], ['Directories', 'directories-table']]) {
      await page.locator('.n-tabs-tab').filter({ hasText: tab }).click()
      await page.getByTestId(ready).waitFor()
      await page.waitForFunction(() => document.getAnimations().length === 0)
      for (const v of await violations(page)) found.push(`Settings → ${tab} (${theme}): ${v}`)
    }
  }
  assert.deepEqual(found, [], 'axe found serious or critical violations')
})
