import { ref, shallowRef, type Ref, type ShallowRef } from 'vue'

// A window onto an import's rows, which live on the Go side: the table asks for the rows
// it is about to show and they arrive a page at a time, so a list of 100,000 rows costs
// the same as one of 100.

export interface Page<T> {
  total: number
  rows: T[]
}

export type Fetcher<T> = (offset: number, limit: number) => Promise<Page<T>>

export interface RowWindow<T> {
  // total is the number of rows matching the query, as the last answer said.
  total: Ref<number>
  // loading is true until the first page after a reset has arrived.
  loading: Ref<boolean>
  // error is the last failure; cleared by the next success.
  error: ShallowRef<unknown>
  // tick changes whenever rows change; read it in a computed to re-render.
  tick: Ref<number>
  // row returns row i (0-based) if its page is here.
  row(i: number): T | undefined
  // ensure loads the pages covering rows [start, end).
  ensure(start: number, end: number): Promise<void>
  // reset forgets the rows (new query or changed data) and loads the pages covering rows
  // [start, end) (the first page by default). Unless clear is set, the old rows stay on
  // screen until those pages have all arrived, so nothing flickers.
  reset(fetcher?: Fetcher<T>, opts?: { clear?: boolean; start?: number; end?: number }): Promise<void>
  // update replaces the loaded rows for which match is true (a fixed cell).
  update(match: (r: T) => boolean, next: T): void
}

export function createRowWindow<T>(fetcher: Fetcher<T>, pageSize = 100): RowWindow<T> {
  const total = ref(0)
  const loading = ref(true)
  const error = shallowRef<unknown>(null)
  const tick = ref(0)
  let pages = new Map<number, T[]>()
  let old = new Map<number, T[]>() // the pages before the last reset, shown until replaced
  let pending = new Map<number, Promise<void>>()
  let generation = 0
  let fetch = fetcher

  function load(p: number): Promise<void> {
    const existing = pending.get(p)
    if (existing) return existing
    const gen = generation
    const promise = fetch(p * pageSize, pageSize)
      .then((res) => {
        if (gen !== generation) return // an answer to a query that is no longer shown
        pages.set(p, res.rows)
        total.value = res.total
        error.value = null
        loading.value = false
        tick.value++
      })
      .catch((e: unknown) => {
        if (gen !== generation) return
        error.value = e
        loading.value = false
        tick.value++
      })
      .finally(() => {
        if (gen === generation) pending.delete(p)
      })
    pending.set(p, promise)
    return promise
  }

  return {
    total,
    loading,
    error,
    tick,
    row(i) {
      const p = Math.floor(i / pageSize)
      return (pages.get(p) ?? old.get(p))?.[i % pageSize]
    },
    async ensure(start, end) {
      const last = Math.min(end, Math.max(total.value, 1)) - 1
      const wanted: Promise<void>[] = []
      for (let p = Math.floor(Math.max(start, 0) / pageSize); p <= Math.floor(Math.max(last, 0) / pageSize); p++) {
        if (!pages.has(p)) wanted.push(load(p))
      }
      await Promise.all(wanted)
    },
    async reset(next, { clear = false, start = 0, end = 1 } = {}) {
      if (next) fetch = next
      const gen = ++generation
      old = clear ? new Map() : new Map([...old, ...pages])
      pages = new Map()
      pending = new Map()
      loading.value = true
      if (clear) total.value = 0
      tick.value++
      const wanted: Promise<void>[] = []
      for (let p = Math.floor(Math.max(start, 0) / pageSize); p <= Math.floor(Math.max(end - 1, 0) / pageSize); p++) {
        wanted.push(load(p))
      }
      await Promise.all(wanted)
      if (gen === generation && old.size > 0) {
        old = new Map()
        tick.value++
      }
    },
    update(match, next) {
      for (const rows of [...pages.values(), ...old.values()]) {
        const i = rows.findIndex(match)
        if (i >= 0) rows[i] = next
      }
      tick.value++
    },
  }
}
