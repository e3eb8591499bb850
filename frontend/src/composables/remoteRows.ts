import { ref, shallowRef, type Ref, type ShallowRef } from 'vue'

// A window onto a long list that lives on the Go side (the Users screen's accounts, an
// import's rows): the table asks for the rows it is about to show and gets them a page at
// a time. Nothing outside the pages near the viewport is ever loaded, so 100,000 rows cost
// the same as 100.

export interface Page<T> {
  rows: T[]
  total: number
  // capped is true when total is only a lower bound (a broad search).
  capped?: boolean
}

export type PageFetcher<T> = (offset: number, limit: number) => Promise<Page<T>>

export interface RemoteRowsOptions {
  // pageSize rows are asked for at once [200].
  pageSize?: number
  // maxPages bounds the pages kept; the least recently used go first [12].
  maxPages?: number
}

export interface ResetOptions {
  // clear drops the rows on screen at once (and the total). Otherwise the old rows stay on
  // screen until the new pages have all arrived, so nothing flickers.
  clear?: boolean
  // start and end: the rows whose pages are loaded [0, 1).
  start?: number
  end?: number
}

export interface RemoteRows<T> {
  // total is the number of rows the list has, as the last answer said.
  total: Ref<number>
  // capped is true when total is only a lower bound.
  capped: Ref<boolean>
  // loading is true until the first page of the current list has arrived.
  loading: Ref<boolean>
  // error is the last failure, for the screen to show; cleared by the next success.
  error: ShallowRef<unknown>
  // tick changes whenever rows change; read it in a computed to re-render.
  tick: Ref<number>
  // row returns row i (0-based) if its page is here.
  row(i: number): T | undefined
  // ensure loads the pages that cover rows [start, end), at most maxPages at a time.
  ensure(start: number, end: number): Promise<void>
  // reset forgets the rows (new query or changed data), with a new fetcher if given, and
  // loads the pages covering [start, end).
  reset(fetcher?: PageFetcher<T>, opts?: ResetOptions): Promise<void>
  // refresh reloads the pages it has, keeping them on screen until the new ones arrive.
  refresh(): Promise<void>
  // update replaces the loaded rows for which match is true (a fixed cell).
  update(match: (r: T) => boolean, next: T): void
  // loaded lists the rows of every page that has arrived, in order.
  loaded(): T[]
}

export function createRemoteRows<T>(fetcher: PageFetcher<T>, { pageSize = 200, maxPages = 12 }: RemoteRowsOptions = {}): RemoteRows<T> {
  const total = ref(0)
  const capped = ref(false)
  const loading = ref(true)
  const error = shallowRef<unknown>(null)
  const tick = ref(0)
  let fetch = fetcher
  let pages = new Map<number, T[]>()
  let old = new Map<number, T[]>() // the pages before the last reset, shown until replaced
  let inflight = new Map<number, Promise<void>>()
  // generation ends the answers of a list the user has already moved away from.
  let generation = 0
  // recent pages, most recent last, so the far-away ones can be dropped.
  let order: number[] = []

  function touch(p: number) {
    order = order.filter((x) => x !== p)
    order.push(p)
    while (order.length > maxPages) pages.delete(order.shift()!)
  }

  function arrived(res: Page<T>) {
    total.value = res.total
    capped.value = !!res.capped
    error.value = null
  }

  function load(p: number): Promise<void> {
    const existing = inflight.get(p)
    if (existing) return existing
    const gen = generation
    const job = fetch(p * pageSize, pageSize)
      .then((res) => {
        if (gen !== generation) return // an answer to a list that is no longer shown
        pages.set(p, res.rows)
        touch(p)
        arrived(res)
      })
      .catch((e: unknown) => {
        if (gen === generation) error.value = e
      })
      .finally(() => {
        if (gen !== generation) return
        inflight.delete(p)
        loading.value = false
        tick.value++
      })
    inflight.set(p, job)
    return job
  }

  // pagesOf lists the pages covering rows [start, end), not past the end of the list.
  function pagesOf(start: number, end: number): number[] {
    const last = total.value > 0 ? Math.min(end, total.value) : end
    const out: number[] = []
    for (let p = Math.floor(Math.max(0, start) / pageSize); p * pageSize < Math.max(last, 1); p++) out.push(p)
    return out
  }

  async function ensure(start: number, end: number) {
    const jobs: Promise<void>[] = []
    for (const p of pagesOf(start, end)) {
      if (pages.has(p)) touch(p)
      else jobs.push(load(p))
      if (jobs.length >= maxPages) break
    }
    await Promise.all(jobs)
  }

  async function reset(next?: PageFetcher<T>, { clear = false, start = 0, end = 1 }: ResetOptions = {}) {
    if (next) fetch = next
    const gen = ++generation
    old = clear ? new Map() : new Map([...old, ...pages])
    pages = new Map()
    inflight = new Map()
    order = []
    loading.value = true
    if (clear) total.value = 0
    tick.value++
    await Promise.all(pagesOf(start, end).slice(0, maxPages).map(load))
    if (gen === generation && old.size > 0) {
      old = new Map()
      tick.value++
    }
  }

  async function refresh() {
    const keep = [...pages.keys()]
    const gen = ++generation
    inflight = new Map()
    const fresh = new Map<number, T[]>()
    await Promise.all(
      (keep.length ? keep : [0]).map((p) =>
        fetch(p * pageSize, pageSize)
          .then((res) => {
            if (gen !== generation) return
            fresh.set(p, res.rows)
            arrived(res)
          })
          .catch((e: unknown) => {
            if (gen === generation) error.value = e
          }),
      ),
    )
    if (gen !== generation) return
    pages = fresh
    order = [...fresh.keys()]
    loading.value = false
    tick.value++
  }

  return {
    total,
    capped,
    loading,
    error,
    tick,
    row(i) {
      const p = Math.floor(i / pageSize)
      return (pages.get(p) ?? old.get(p))?.[i % pageSize]
    },
    ensure,
    reset,
    refresh,
    update(match, next) {
      for (const rows of [...pages.values(), ...old.values()]) {
        const i = rows.findIndex(match)
        if (i >= 0) rows[i] = next
      }
      tick.value++
    },
    loaded() {
      return [...pages.keys()].sort((a, b) => a - b).flatMap((p) => pages.get(p)!)
    },
  }
}
