// The portal's role catalogue, read once and shared by every screen that shows or picks
// roles.
import { computed, ref, type ComputedRef, type Ref } from 'vue'
import { roles as loadRoles, type RoleCatalog, type RoleInfo } from '../api/users'

const catalog = ref<RoleCatalog | null>(null)
const error = ref<unknown>(null)
let loading: Promise<void> | null = null

function load(force = false): Promise<void> {
  if (loading && !force) return loading
  loading = loadRoles()
    .then((c) => {
      catalog.value = { core: c.core ?? [], additional: c.additional ?? [], byOrganization: c.byOrganization ?? {} } as RoleCatalog
      error.value = null
    })
    .catch((e) => {
      error.value = e
      loading = null
    })
  return loading
}

export interface RoleCatalogView {
  catalog: Ref<RoleCatalog | null>
  error: Ref<unknown>
  all: ComputedRef<RoleInfo[]>
  name(id: string): string
  // additionalFor lists the additional roles a person of organisation orgId may hold: the
  // system's and their own organisation's.
  additionalFor(orgId: string): RoleInfo[]
  reload(): Promise<void>
}

export function useRoleCatalog(): RoleCatalogView {
  void load()
  const all = computed<RoleInfo[]>(() => {
    const c = catalog.value
    if (!c) return []
    const seen = new Map<string, RoleInfo>()
    for (const r of [...c.core, ...c.additional, ...Object.values(c.byOrganization).flat()]) seen.set(r.id, r)
    return [...seen.values()]
  })
  const byId = computed(() => new Map(all.value.map((r) => [r.id, r])))
  return {
    catalog,
    error,
    all,
    name: (id) => byId.value.get(id)?.name ?? id,
    additionalFor(orgId) {
      const c = catalog.value
      if (!c) return []
      return [...c.additional.filter((r) => r.scope !== 'organization'), ...(orgId ? (c.byOrganization[orgId] ?? []) : [])]
    },
    reload: () => load(true),
  }
}
