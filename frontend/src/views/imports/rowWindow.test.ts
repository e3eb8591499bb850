import { describe, expect, it } from 'vitest'
import { createRowWindow, type Fetcher, type Page } from './rowWindow'

// A fake of the Go side's ImportRows: n rows numbered from 2 (below the header), recording
// every request; each answer waits until released, so tests decide the order of arrival.
function source(n: number, label = 'r') {
  const calls: { offset: number; limit: number }[] = []
  const waiting: (() => void)[] = []
  const fetch: Fetcher<string> = (offset, limit) => {
    calls.push({ offset, limit })
    const rows = Array.from({ length: Math.max(0, Math.min(limit, n - offset)) }, (_, i) => `${label}${offset + i + 2}`)
    return new Promise<Page<string>>((res) => waiting.push(() => res({ total: n, rows })))
  }
  const releaseAll = async () => {
    while (waiting.length) waiting.shift()!()
    await new Promise((r) => setTimeout(r, 0))
  }
  return { fetch, calls, waiting, releaseAll }
}

describe('createRowWindow', () => {
  it('loads only the pages the viewport needs, once each', async () => {
    const s = source(1000)
    const w = createRowWindow(s.fetch, 100)
    const first = w.reset()
    await s.releaseAll()
    await first
    expect(w.total.value).toBe(1000)
    expect(w.loading.value).toBe(false)
    expect(w.row(0)).toBe('r2')
    expect(w.row(150)).toBeUndefined()

    const a = w.ensure(150, 260)
    const b = w.ensure(180, 200) // the same page, asked again while on its way
    await s.releaseAll()
    await Promise.all([a, b])
    expect(s.calls).toEqual([
      { offset: 0, limit: 100 },
      { offset: 100, limit: 100 },
      { offset: 200, limit: 100 },
    ])
    expect(w.row(150)).toBe('r152')
    expect(w.row(259)).toBe('r261')
  })

  it('never asks beyond the end', async () => {
    const s = source(120)
    const w = createRowWindow(s.fetch, 100)
    const p = w.reset()
    await s.releaseAll()
    await p
    const q = w.ensure(100, 400)
    await s.releaseAll()
    await q
    expect(s.calls.map((c) => c.offset)).toEqual([0, 100])
    expect(w.row(119)).toBe('r121')
  })

  it('ignores answers to a query that was replaced, and keeps old rows until new ones arrive', async () => {
    const before = source(500, 'old')
    const w = createRowWindow(before.fetch, 100)
    const p = w.reset()
    await before.releaseAll()
    await p

    const slow = w.ensure(300, 310) // still on its way when the query changes
    const after = source(50, 'new')
    const q = w.reset(after.fetch)
    expect(w.loading.value).toBe(true)
    expect(w.row(0)).toBe('old2') // no flicker while the new answer is on its way
    await before.releaseAll()
    await slow
    expect(w.row(300)).toBeUndefined() // the late answer was dropped
    expect(w.total.value).toBe(500)

    await after.releaseAll()
    await q
    expect(w.total.value).toBe(50)
    expect(w.row(0)).toBe('new2')
    expect(w.row(120)).toBeUndefined()
  })

  it('clears at once when asked to', async () => {
    const s = source(10)
    const w = createRowWindow(s.fetch, 100)
    const p = w.reset()
    await s.releaseAll()
    await p
    void w.reset(undefined, { clear: true })
    expect(w.row(0)).toBeUndefined()
    expect(w.total.value).toBe(0)
  })

  it('reloads the rows in view together, showing the old ones until all have arrived', async () => {
    const s = source(1000)
    const w = createRowWindow(s.fetch, 100)
    const p = w.reset()
    await s.releaseAll()
    await p
    const q = w.ensure(850, 900)
    await s.releaseAll()
    await q
    s.calls.length = 0

    const r = w.reset(undefined, { start: 850, end: 920 })
    expect(s.calls.map((c) => c.offset)).toEqual([800, 900]) // both pages at once
    s.waiting.shift()!() // the first arrives…
    await new Promise((res) => setTimeout(res, 0))
    expect(w.row(0)).toBe('r2') // …and the old rows elsewhere are still shown
    await s.releaseAll()
    await r
    expect(w.row(0)).toBeUndefined() // not reloaded, so gone once the reload is complete
    expect(w.row(860)).toBe('r862')
  })

  it('replaces a row in place', async () => {
    const s = source(10)
    const w = createRowWindow(s.fetch, 100)
    const p = w.reset()
    await s.releaseAll()
    await p
    const tick = w.tick.value
    w.update((r) => r === 'r5', 'r5 fixed')
    expect(w.row(3)).toBe('r5 fixed')
    expect(w.tick.value).toBeGreaterThan(tick)
  })

  it('keeps the error for the screen and clears it on success', async () => {
    let fail = true
    const w = createRowWindow<string>(async () => {
      if (fail) throw new Error('database is busy')
      return { total: 1, rows: ['x'] }
    })
    await w.reset()
    expect(w.error.value).toBeInstanceOf(Error)
    expect(w.loading.value).toBe(false)
    fail = false
    await w.reset()
    expect(w.error.value).toBeNull()
    expect(w.row(0)).toBe('x')
  })
})
