import { reactive } from 'vue'

// What the status bar shows about synchronisation. "local" until a server is configured;
// the sync issue fills in the rest.
export interface SyncStatus {
  mode: 'local' | 'online' | 'offline'
  lastSyncAt: Date | null
  pending: number
}

const status = reactive<SyncStatus>({ mode: 'local', lastSyncAt: null, pending: 0 })

export function useSyncStatus(): SyncStatus {
  return status
}
