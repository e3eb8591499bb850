import { describe, expect, it } from 'vitest'
import { createRemoteRows, type Page, type PageFetcher } from './remoteRows'

// A list of n numbered rows that records every page asked for.
function source(n: number) {
  const calls: [number, number][] = []
  const fetcher: PageFetcher<number> = async (offset, limit) => {
    calls.push([offset, limit])
    const rows: number[] = []
    for (let i = offset; i < Math.min(n, offset + limit); i++) rows.push(i)
    return { rows, total: n }
  }
  return { calls, fetcher }
}

// deferred returns a fetcher whose answers the test releases one by one.
function deferred() {
  const waiting: { offset: number; resolve: (v: { rows: string[]; total: number }) => void }[] = []
  const fetcher: PageFetcher<string> = (offset) => new Promise((resolve) => waiting.push({ offset, resolve }))
  return { waiting, fetcher }
}

describe('createRemoteRows: the Users list (pages evicted past the budget, refresh)', () => {
  it('loads only the pages that cover the asked range', async () => {
    const { calls, fetcher } = source(100_000)
    const p = createRemoteRows(fetcher, { pageSize: 100 })
    await p.reset()
    expect(p.total.value).toBe(100_000)
    expect(p.loading.value).toBe(false)
    expect(p.row(0)).toBe(0)
    expect(p.row(150)).toBeUndefined()

    await p.ensure(50_020, 50_060)
    expect(calls).toEqual([
      [0, 100],
      [50_000, 100],
    ])
    expect(p.row(50_042)).toBe(50_042)

    await p.ensure(50_090, 50_110) // crosses into the next page only
    expect(calls.at(-1)).toEqual([50_100, 100])
    expect(calls).toHaveLength(3)
  })

  it('asks nothing past the end of the list', async () => {
    const { calls, fetcher } = source(250)
    const p = createRemoteRows(fetcher, { pageSize: 100 })
    await p.reset()
    await p.ensure(0, 10_000)
    expect(calls.map((c) => c[0])).toEqual([0, 100, 200])
    expect(p.loaded()).toHaveLength(250)
  })

  it('asks for a page once while it is on its way', async () => {
    const { waiting, fetcher } = deferred()
    const p = createRemoteRows(fetcher, { pageSize: 10 })
    const a = p.reset()
    const b = p.ensure(0, 5)
    expect(waiting).toHaveLength(1)
    waiting[0].resolve({ rows: ['a'], total: 1 })
    await Promise.all([a, b])
    expect(p.row(0)).toBe('a')
  })

  it('drops the answer of a list the user has moved away from', async () => {
    const { waiting, fetcher } = deferred()
    const p = createRemoteRows(fetcher, { pageSize: 10 })
    const first = p.reset()
    const second = p.reset()
    expect(waiting).toHaveLength(2)
    waiting[1].resolve({ rows: ['new'], total: 1 })
    await second
    waiting[0].resolve({ rows: ['old', 'old'], total: 2 })
    await first
    expect(p.row(0)).toBe('new')
    expect(p.total.value).toBe(1)
  })

  it('forgets far-away pages beyond its budget', async () => {
    const { calls, fetcher } = source(10_000)
    const p = createRemoteRows(fetcher, { pageSize: 10, maxPages: 3 })
    await p.reset()
    await p.ensure(100, 110)
    await p.ensure(200, 210)
    await p.ensure(300, 310) // page 0 is the oldest and goes
    expect(p.row(0)).toBeUndefined()
    expect(p.row(305)).toBe(305)
    await p.ensure(0, 5)
    expect(calls.filter((c) => c[0] === 0)).toHaveLength(2)
  })

  it('keeps the error for the screen and clears it on the next success', async () => {
    let fail = true
    const p = createRemoteRows<number>(async () => {
      if (fail) throw new Error('offline')
      return { rows: [1], total: 1 }
    })
    await p.reset()
    expect((p.error.value as Error).message).toBe('offline')
    expect(p.loading.value).toBe(false)
    fail = false
    await p.reset()
    expect(p.error.value).toBeNull()
    expect(p.row(0)).toBe(1)
  })

  it('refresh reloads the pages it holds and keeps the old rows until then', async () => {
    let base = 0
    const calls: number[] = []
    const p = createRemoteRows<number>(async (offset, limit) => {
      calls.push(offset)
      return { rows: Array.from({ length: limit }, (_, i) => base + offset + i), total: 1000 }
    }, { pageSize: 10 })
    await p.reset()
    await p.ensure(500, 505)
    base = 1
    const r = p.refresh()
    expect(p.row(500)).toBe(500)
    await r
    expect(p.row(500)).toBe(501)
    expect(p.row(0)).toBe(1)
    expect(calls.slice(2).sort((a, b) => a - b)).toEqual([0, 500])
  })
})


// A fake of the Go side's ImportRows: n rows numbered from 2 (below the header), recording
// every request; each answer waits until released, so tests decide the order of arrival.
function importSource(n: number, label = 'r') {
  const calls: { offset: number; limit: number }[] = []
  const waiting: (() => void)[] = []
  const fetch: PageFetcher<string> = (offset, limit) => {
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

describe('createRemoteRows: an import\'s rows (pages of 100, old rows kept until new ones arrive)', () => {
  it('loads only the pages the viewport needs, once each', async () => {
    const s = importSource(1000)
    const w = createRemoteRows(s.fetch, { pageSize: 100 })
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
    const s = importSource(120)
    const w = createRemoteRows(s.fetch, { pageSize: 100 })
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
    const before = importSource(500, 'old')
    const w = createRemoteRows(before.fetch, { pageSize: 100 })
    const p = w.reset()
    await before.releaseAll()
    await p

    const slow = w.ensure(300, 310) // still on its way when the query changes
    const after = importSource(50, 'new')
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
    const s = importSource(10)
    const w = createRemoteRows(s.fetch, { pageSize: 100 })
    const p = w.reset()
    await s.releaseAll()
    await p
    void w.reset(undefined, { clear: true })
    expect(w.row(0)).toBeUndefined()
    expect(w.total.value).toBe(0)
  })

  it('reloads the rows in view together, showing the old ones until all have arrived', async () => {
    const s = importSource(1000)
    const w = createRemoteRows(s.fetch, { pageSize: 100 })
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
    const s = importSource(10)
    const w = createRemoteRows(s.fetch, { pageSize: 100 })
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
    const w = createRemoteRows<string>(async () => {
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
