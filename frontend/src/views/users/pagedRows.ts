import { ref, shallowRef, type Ref, type ShallowRef } from 'vue'

// A window onto a long list that lives on the Go side: the table asks for the rows it is
// about to show and gets them a page at a time. Nothing outside the pages near the viewport
// is ever loaded, so 100,000 accounts cost the same as 100.

export interface PageResult<T> {
  rows: T[]
  total: number
  capped?: boolean
}

export type PageFetcher<T> = (offset: number, limit: number) => Promise<PageResult<T>>

export interface PagedRows<T> {
  // total is the number of rows the list has, as the last answer said.
  total: Ref<number>
  // capped is true when total is only a lower bound (a broad search).
  capped: Ref<boolean>
  // loading is true until the first page of the current list has arrived.
  loading: Ref<boolean>
  // error is the last failure, for the screen to show; cleared by the next success.
  error: ShallowRef<unknown>
  // tick changes whenever a page arrives; read it in a computed to re-render.
  tick: Ref<number>
  // row returns row i if its page has arrived.
  row(i: number): T | undefined
  // ensure loads the pages that cover rows [start, end), at most maxPages at a time.
  ensure(start: number, end: number): Promise<void>
  // reset forgets every page (the filter changed) and loads the first one again.
  reset(fetcher?: PageFetcher<T>): Promise<void>
  // refresh reloads the pages it has, keeping them on screen until the new ones arrive.
  refresh(): Promise<void>
  // loaded lists the rows of every page that has arrived, in order.
  loaded(): T[]
}

export function createPagedRows<T>(fetcher: PageFetcher<T>, pageSize = 200, maxPages = 12): PagedRows<T> {
  const total = ref(0)
  const capped = ref(false)
  const loading = ref(true)
  const error = shallowRef<unknown>(null)
  const tick = ref(0)
  let fetch = fetcher
  let pages = new Map<number, T[]>()
  let inflight = new Map<number, Promise<void>>()
  // generation ends the answers of a list the user has already moved away from.
  let generation = 0
  // recent pages, most recent last, so the far-away ones can be dropped.
  let order: number[] = []

  function touch(p: number) {
    order = order.filter((x) => x !== p)
    order.push(p)
    while (order.length > maxPages) {
      const old = order.shift()!
      pages.delete(old)
    }
  }

  function load(p: number): Promise<void> {
    const existing = inflight.get(p)
    if (existing) return existing
    const gen = generation
    const job = fetch(p * pageSize, pageSize)
      .then((res) => {
        if (gen !== generation) return
        pages.set(p, res.rows)
        touch(p)
        total.value = res.total
        capped.value = !!res.capped
        error.value = null
      })
      .catch((e) => {
        if (gen !== generation) return
        error.value = e
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

  async function ensure(start: number, end: number) {
    const last = total.value > 0 ? Math.min(end, total.value) : end
    const jobs: Promise<void>[] = []
    for (let p = Math.floor(Math.max(0, start) / pageSize); p * pageSize < last; p++) {
      if (pages.has(p)) touch(p)
      else jobs.push(load(p))
      if (jobs.length >= maxPages) break
    }
    await Promise.all(jobs)
  }

  async function reset(next?: PageFetcher<T>) {
    if (next) fetch = next
    generation++
    pages = new Map()
    inflight = new Map()
    order = []
    loading.value = true
    tick.value++
    await load(0)
  }

  async function refresh() {
    const keep = [...pages.keys()]
    generation++
    inflight = new Map()
    const gen = generation
    const fresh = new Map<number, T[]>()
    await Promise.all(
      (keep.length ? keep : [0]).map((p) =>
        fetch(p * pageSize, pageSize)
          .then((res) => {
            if (gen !== generation) return
            fresh.set(p, res.rows)
            total.value = res.total
            capped.value = !!res.capped
            error.value = null
          })
          .catch((e) => {
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
      return pages.get(Math.floor(i / pageSize))?.[i % pageSize]
    },
    ensure,
    reset,
    refresh,
    loaded() {
      return [...pages.keys()].sort((a, b) => a - b).flatMap((p) => pages.get(p)!)
    },
  }
}
