// Every screen at the two window sizes administrators use (1280×800 and 1024×700), in both
// themes, with the demo portal's data: no word is broken across two lines ("yesterda y"), and
// nothing in the app's own words is replaced by Naive UI's ("Please Input", "No Data").
//
// With SCREENS_DIR set (make screenshots), each state is also kept there as
// <screen>-<width>x<height>[-dark].png, to be looked at and committed.
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { eachScreenInBothThemes } from './lib/app.mjs'
import { openDemo } from './lib/demo.mjs'

const sizes = [
  { width: 1280, height: 800 },
  { width: 1024, height: 700 },
]
const out = process.env.SCREENS_DIR

// brokenWords lists the words of the screen that the layout splits over two lines. Only
// plain words are checked: an e-mail address or an ID may wrap where it must.
function brokenWords() {
  const bad = []
  const range = document.createRange()
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT)
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement
    if (!el || el.closest('[aria-hidden="true"], .sr-only, textarea, svg, canvas, script, style')) continue
    for (const m of n.textContent.matchAll(/\S+/g)) {
      const word = m[0].replace(/^[("“‘]+|[)"”’.,:;!?…]+$/g, '')
      if (word.length < 3 || !/^[\p{L}'’-]+$/u.test(word)) continue
      const at = m.index + m[0].indexOf(word)
      range.setStart(n, at)
      range.setEnd(n, at + word.length)
      const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.bottom)))
      if (lines.size > 1) bad.push(`"${word}" in "${n.textContent.trim().slice(0, 50)}"`)
    }
  }
  return [...new Set(bad)]
}

for (const size of sizes) {
  test(`layout at ${size.width}×${size.height}: no word broken over two lines and no Naive UI placeholder, on any screen, in either theme`, { timeout: 180_000 }, async (t) => {
    const app = await openDemo(t, { viewport: size })
    if (!app) return
    const { page } = app
    if (out) mkdirSync(out, { recursive: true })
    const found = []
    await eachScreenInBothThemes(app, async (label, theme) => {
      for (const w of await page.evaluate(brokenWords)) found.push(`${label} (${theme}): ${w}`)
      for (const leak of ['Please Input', 'Please Select', 'No Data']) {
        if (await page.getByText(leak, { exact: true }).count()) found.push(`${label} (${theme}): Naive UI's "${leak}"`)
      }
      if (out) {
        const name = `${label.toLowerCase()}-${size.width}x${size.height}${theme === 'dark' ? '-dark' : ''}.png`
        await page.mouse.move(1, size.height - 1) // no hover state in the picture
        await page.screenshot({ path: join(out, name) })
      }
    })
    assert.deepEqual(found, [], 'the layout breaks words or shows Naive UI’s own words')
    app.assertNoPageErrors()
  })
}
