import { afterEach, describe, expect, it } from 'vitest'
import { applyStatus, refreshSync, startSync, statusFrom, statusMark, useSyncStatus } from './sync'

const base = { serverUrl: '', syncing: false, pending: 0, conflicts: 0, failed: 0, lastError: '', lastSyncAt: null }

describe('statusFrom', () => {
  it.each([
    ['embedded and answering', { mode: 'embedded', online: true }, 'local'],
    ['embedded before its first sync', { mode: 'embedded', online: false }, 'local'],
    ['embedded and failing', { mode: 'embedded', online: false, lastError: 'The local portal did not answer.' }, 'offline'],
    ['remote and answering', { mode: 'remote', online: true }, 'online'],
    ['remote and unreachable', { mode: 'remote', online: false }, 'offline'],
    ['not started yet', { mode: '', online: false }, 'local'],
  ])('%s → %s', (_, s, mode) => {
    expect(statusFrom({ ...base, ...s }).mode).toBe(mode)
  })

  it('reads the figures and the last sync time; Go’s zero time is "never"', () => {
    const s = statusFrom({ ...base, mode: 'remote', online: true, pending: 3, conflicts: 1, failed: 2, lastSyncAt: '2025-05-06T07:08:09Z', serverUrl: 'https://p.example.org' })
    expect(s).toMatchObject({ pending: 3, conflicts: 1, failed: 2, serverUrl: 'https://p.example.org', known: true })
    expect(s.lastSyncAt?.toISOString()).toBe('2025-05-06T07:08:09.000Z')
    expect(statusFrom({ ...base, lastSyncAt: '0001-01-01T00:00:00Z' }).lastSyncAt).toBeNull()
    expect(statusFrom({}).pending).toBe(0)
  })

  it('carries "not encrypted" from a plain-HTTP server off this computer', () => {
    expect(statusFrom({ ...base, mode: 'remote', online: true, unencrypted: true }).unencrypted).toBe(true)
    expect(statusFrom({ ...base, mode: 'remote', online: true }).unencrypted).toBe(false)
  })

  it('carries "sign in needed" from a remote server without a usable sign-in', () => {
    expect(statusFrom({ ...base, mode: 'remote', online: true, needsSignIn: true }).needsSignIn).toBe(true)
    expect(statusFrom({ ...base, mode: 'remote', online: true }).needsSignIn).toBe(false)
  })

  it('carries the index build after a first download', () => {
    expect(statusFrom({ ...base, mode: 'embedded', online: true, indexing: true }).indexing).toBe(true)
    expect(statusFrom({ ...base, mode: 'embedded', online: true }).indexing).toBe(false)
  })
})

describe('applyStatus', () => {
  it('shows an answer unless it is older than the latest event', () => {
    const st = useSyncStatus()
    const mark = statusMark()
    applyStatus({ ...base, mode: 'embedded', online: true, pending: 2 }, mark)
    expect(st.pending).toBe(2)
    applyStatus({ ...base, mode: 'embedded', online: true, pending: 5 })
    expect(st.pending).toBe(5)
  })
})

describe('startSync', () => {
  const w = window as unknown as Record<string, unknown>
  afterEach(() => {
    delete w.runtime
    delete w.go
  })

  it('follows "sync:status" events and never lets an older answer overwrite a newer event', async () => {
    const handlers: Record<string, (...a: unknown[]) => void> = {}
    let answer: (v: unknown) => void = () => {}
    w.runtime = {
      EventsOnMultiple: (name: string, cb: (...a: unknown[]) => void) => {
        handlers[name] = cb
        return () => delete handlers[name]
      },
    }
    w.go = { app: { ConnectionService: { SyncStatus: () => new Promise((r) => (answer = r)) } } }
    const st = useSyncStatus()
    const stop = startSync()
    expect(handlers['sync:status']).toBeTypeOf('function')

    // The first answer is still on its way when an event says there is a conflict.
    handlers['sync:status']({ ...base, mode: 'embedded', online: true, pending: 1, conflicts: 1 })
    answer({ ...base, mode: 'embedded', online: true, pending: 1, conflicts: 0 })
    await Promise.resolve()
    await Promise.resolve()
    expect(st.conflicts).toBe(1)

    // An answer asked for after the latest event is shown.
    const r = refreshSync()
    answer({ ...base, mode: 'embedded', online: true, pending: 0, conflicts: 0 })
    await r
    expect(st.conflicts).toBe(0)
    stop()
    expect(handlers['sync:status']).toBeUndefined()
  })
})
