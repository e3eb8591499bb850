import { describe, expect, it } from 'vitest'
import { createPagedRows, type PageFetcher } from './pagedRows'

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

describe('createPagedRows', () => {
  it('loads only the pages that cover the asked range', async () => {
    const { calls, fetcher } = source(100_000)
    const p = createPagedRows(fetcher, 100)
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
    const p = createPagedRows(fetcher, 100)
    await p.reset()
    await p.ensure(0, 10_000)
    expect(calls.map((c) => c[0])).toEqual([0, 100, 200])
    expect(p.loaded()).toHaveLength(250)
  })

  it('asks for a page once while it is on its way', async () => {
    const { waiting, fetcher } = deferred()
    const p = createPagedRows(fetcher, 10)
    const a = p.reset()
    const b = p.ensure(0, 5)
    expect(waiting).toHaveLength(1)
    waiting[0].resolve({ rows: ['a'], total: 1 })
    await Promise.all([a, b])
    expect(p.row(0)).toBe('a')
  })

  it('drops the answer of a list the user has moved away from', async () => {
    const { waiting, fetcher } = deferred()
    const p = createPagedRows(fetcher, 10)
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
    const p = createPagedRows(fetcher, 10, 3)
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
    const p = createPagedRows<number>(async () => {
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
    const p = createPagedRows<number>(async (offset, limit) => {
      calls.push(offset)
      return { rows: Array.from({ length: limit }, (_, i) => base + offset + i), total: 1000 }
    }, 10)
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
