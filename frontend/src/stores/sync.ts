import { onBeforeUnmount, onMounted, reactive } from 'vue'
import { EventsOn } from '../../wailsjs/runtime/runtime'
import type { SyncStatusInfo } from '../api/sync'
import { syncStatus } from '../api/sync'

// What the status bar shows about synchronisation, kept up to date by the "sync:status"
// event the Go side sends on every change. "local" is the embedded portal on this computer;
// "online"/"offline" say whether a remote portal server answers.
export interface SyncStatus {
  mode: 'local' | 'online' | 'offline'
  serverUrl: string
  syncing: boolean
  lastSyncAt: Date | null
  pending: number
  conflicts: number
  failed: number
  // lastError says, as a sentence, why the last sync failed; "" when it worked.
  lastError: string
  // needsSignIn: a remote server and no usable sign-in on this computer; changes wait.
  needsSignIn: boolean
  // indexing: the search indexes are being built after a first download; screens work,
  // search and filters are slower until it is done.
  indexing: boolean
  // unencrypted: the portal server is reached over plain HTTP off this computer.
  unencrypted: boolean
  // known is false until the Go side has said anything.
  known: boolean
}

const status = reactive<SyncStatus>({
  mode: 'local',
  serverUrl: '',
  syncing: false,
  lastSyncAt: null,
  pending: 0,
  conflicts: 0,
  failed: 0,
  lastError: '',
  needsSignIn: false,
  indexing: false,
  unencrypted: false,
  known: false,
})

export function useSyncStatus(): SyncStatus {
  return status
}

function toDate(v: unknown): Date | null {
  if (v === null || v === undefined || v === '') return null
  const d = new Date(v as string)
  return Number.isNaN(d.getTime()) || d.getUTCFullYear() <= 1 ? null : d
}

// statusFrom turns the Go SyncStatus into what the bar shows. The embedded portal runs in
// this process: it is "local" unless it failed to answer.
export function statusFrom(s: Partial<SyncStatusInfo>): SyncStatus {
  const embedded = s.mode === 'embedded' || !s.mode
  let mode: SyncStatus['mode']
  if (embedded) mode = !s.online && s.lastError ? 'offline' : 'local'
  else mode = s.online ? 'online' : 'offline'
  return {
    mode,
    serverUrl: s.serverUrl ?? '',
    syncing: !!s.syncing,
    lastSyncAt: toDate(s.lastSyncAt),
    pending: s.pending ?? 0,
    conflicts: s.conflicts ?? 0,
    failed: s.failed ?? 0,
    lastError: s.lastError ?? '',
    needsSignIn: !!s.needsSignIn,
    indexing: !!s.indexing,
    unencrypted: !!s.unencrypted,
    known: true,
  }
}

// events counts the "sync:status" events: they come in order and are always the newest
// word. An answer to a call that started before the latest event is older than it.
let events = 0

// statusMark is taken before a call that returns a status; pass it to applyStatus.
export function statusMark(): number {
  return events
}

// applyStatus shows s, unless an event arrived since mark (then s may be stale).
export function applyStatus(s: Partial<SyncStatusInfo>, mark?: number) {
  if (mark !== undefined && mark !== events) return
  Object.assign(status, statusFrom(s))
}

function onEvent(s: Partial<SyncStatusInfo>) {
  events++
  Object.assign(status, statusFrom(s))
}

type Unsubscribe = () => void

// listen calls cb for every event of that name; without a Wails runtime (unit tests) it does
// nothing.
function listen(name: string, cb: (...data: unknown[]) => void): Unsubscribe {
  try {
    return EventsOn(name, cb)
  } catch {
    return () => {}
  }
}

let started: Unsubscribe | null = null

// startSync subscribes the store to "sync:status" and asks for the current status once.
// Calling it again does nothing; the returned function stops it.
export function startSync(): Unsubscribe {
  if (started) return started
  const off = listen('sync:status', (s) => onEvent((s ?? {}) as Partial<SyncStatusInfo>))
  const mark = statusMark()
  syncStatus().then((s) => applyStatus(s, mark), () => {
    // not ready yet: the event will tell
  })
  started = () => {
    off()
    started = null
  }
  return started
}

// refreshSync asks for the status now (after an action, so the bar does not wait for the
// event).
export async function refreshSync() {
  const mark = statusMark()
  try {
    applyStatus(await syncStatus(), mark)
  } catch {
    // the bar keeps what it has
  }
}

// onDataChanged calls cb (at most every `wait` ms) while the calling component is mounted,
// whenever the local copy changed: records arrived from the server or a change was queued
// or settled.
export function onDataChanged(cb: (reason: string) => void, wait = 250) {
  let off: Unsubscribe | null = null
  let timer: ReturnType<typeof setTimeout> | null = null
  let reason = ''
  onMounted(() => {
    off = listen('data:changed', (d) => {
      reason = ((d as { reason?: string } | undefined)?.reason ?? '') || reason
      if (timer) return
      timer = setTimeout(() => {
        timer = null
        const r = reason
        reason = ''
        cb(r)
      }, wait)
    })
  })
  onBeforeUnmount(() => {
    off?.()
    if (timer) clearTimeout(timer)
  })
}
