import { describe, expect, it } from 'vitest'
import { mend } from './a11y'

describe('mend', () => {
  it('names a row checkbox from its row, and the header one as select all', () => {
    document.body.innerHTML = `
      <table><thead><tr><th><div role="checkbox" aria-labelledby="gone1"></div></th><th>Name</th></tr></thead>
      <tbody><tr><td><div role="checkbox" aria-labelledby="gone2"></div></td><td>Ann Reed</td><td>ann@x.org</td><td>more</td></tr></tbody></table>
      <span id="here">Members only</span><div role="checkbox" aria-labelledby="here" id="named"></div>`
    mend(document)
    const boxes = document.querySelectorAll('[role="checkbox"]')
    expect(boxes[0].getAttribute('aria-label')).toBe('Select all rows')
    expect(boxes[1].getAttribute('aria-label')).toBe('Select Ann Reed, ann@x.org')
    expect(document.getElementById('named')!.hasAttribute('aria-label')).toBe(false)
  })

  it('gives headings a level and number buttons a name', () => {
    document.body.innerHTML = `
      <div role="heading"><div role="heading">Title</div></div>
      <div class="n-input-number"><input aria-label="Days"><button></button><button></button></div>`
    mend(document)
    const hs = document.querySelectorAll('[role="heading"]')
    expect([hs[0].getAttribute('aria-level'), hs[1].getAttribute('aria-level')]).toEqual(['3', '4'])
    expect([...document.querySelectorAll('button')].map((b) => b.getAttribute('aria-label'))).toEqual(['Decrease Days', 'Increase Days'])
  })
})
