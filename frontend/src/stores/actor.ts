// Who the administrator is (App.CurrentActor), shared by every screen. Read at start and
// again when the connection or sign-in changes (the status bar's mode, server or sign-in).
import { computed, ref, watch } from 'vue'
import { currentActor, type ActorInfo } from '../api/actor'
import { refusal as refusalOf, type Action } from '../components/permissions'
import { useSyncStatus } from './sync'

const actor = ref<ActorInfo | null>(null)
let watching = false

export async function reloadActor() {
  try {
    actor.value = await currentActor()
  } catch {
    // Still starting: the next status change asks again; the server checks meanwhile.
  }
}

export function useActor() {
  if (!watching) {
    watching = true
    const sync = useSyncStatus()
    watch(
      () => [sync.known, sync.mode, sync.serverUrl, sync.needsSignIn, sync.lastSyncAt?.getTime() ?? 0].join('|'),
      () => void reloadActor(),
      { immediate: true },
    )
  }
  return {
    actor,
    label: computed(() => actor.value?.label ?? ''),
    refusal: (action: Action, orgId = '') => refusalOf(actor.value, action, orgId),
  }
}
