// The Users screen's filters: what the administrator picks, how that becomes the Go
// UserQuery, and how it is kept in the address (so Back and a reload keep the filters).
import type { UserQuery } from '../../api/users'

export const statuses = ['pending', 'active', 'invited', 'deactivated', 'denied'] as const
export type Status = (typeof statuses)[number]

export const statusLabels: Record<Status, string> = {
  pending: 'Pending approval',
  active: 'Active',
  invited: 'Invited',
  deactivated: 'Deactivated',
  denied: 'Denied',
}

// The last-login filter: any time, in the last N days, more than N days ago (logged in, but
// not since), or never. N is any whole number of days (lastLoginDays); the Go side turns it
// into a time bound with its clock.
export const lastLoginOptions = [
  { value: '', label: 'Any time' },
  { value: 'withinDays', label: 'In the last … days' },
  { value: 'olderDays', label: 'More than … days ago' },
  { value: 'never', label: 'Never logged in' },
] as const
export type LastLogin = (typeof lastLoginOptions)[number]['value']

export const defaultLastLoginDays = 90
export const maxLastLoginDays = 36500

// usesDays tells whether the last-login filter takes a number of days.
export const usesDays = (l: LastLogin) => l === 'withinDays' || l === 'olderDays'

// lastLoginDays reads a typed or linked number of days: a whole number from 1 to 36,500, or
// null when it is not one.
export function lastLoginDays(v: unknown): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN
  return Number.isInteger(n) && n >= 1 && n <= maxLastLoginDays ? n : null
}

// Links from before N could be typed carry the old presets.
const legacyLastLogin: Record<string, [LastLogin, number]> = {
  within7d: ['withinDays', 7],
  within30d: ['withinDays', 30],
  within90d: ['withinDays', 90],
  older90d: ['olderDays', 90],
}

function lastLoginLabel(f: UserFilters): string {
  const days = `${f.lastLoginDays.toLocaleString('en')} ${f.lastLoginDays === 1 ? 'day' : 'days'}`
  if (f.lastLogin === 'withinDays') return `in the last ${days}`
  if (f.lastLogin === 'olderDays') return `more than ${days} ago`
  return lastLoginOptions.find((o) => o.value === f.lastLogin)!.label.toLowerCase()
}

export const sortKeys = ['name', 'email', 'status', 'organization', 'lastLogin'] as const
export type SortKey = (typeof sortKeys)[number]

export interface UserFilters {
  search: string
  status: Status[]
  kind: '' | 'client' | 'staff'
  role: string
  organizationId: string
  orgAdmin: '' | 'yes' | 'no'
  lastLogin: LastLogin
  lastLoginDays: number
  ghost: boolean
  pendingOnly: boolean
}

export interface UserSort {
  key: SortKey
  desc: boolean
}

export function emptyFilters(): UserFilters {
  return { search: '', status: [], kind: '', role: '', organizationId: '', orgAdmin: '', lastLogin: '', lastLoginDays: defaultLastLoginDays, ghost: false, pendingOnly: false }
}

// toUserQuery builds the query for rows [offset, offset+limit). The search is trimmed and
// its inner spaces collapsed: "  ada   l " and "ada l" are the same search.
export function toUserQuery(f: UserFilters, sort: UserSort, offset: number, limit: number): UserQuery {
  return {
    query: f.search.trim().replace(/\s+/g, ' '),
    status: [...f.status],
    kind: f.kind,
    role: f.role,
    organizationId: f.organizationId,
    orgAdmin: f.orgAdmin === '' ? undefined : f.orgAdmin === 'yes',
    lastLogin: f.lastLogin,
    lastLoginDays: usesDays(f.lastLogin) ? f.lastLoginDays : 0,
    ghost: f.ghost,
    pendingOnly: f.pendingOnly,
    offset,
    limit,
    sort: sort.key,
    desc: sort.desc,
  }
}

// sameList tells whether two queries select the same rows (ignoring the page), so the
// table only starts over when the list really changed.
export function sameList(a: UserQuery, b: UserQuery): boolean {
  const strip = (q: UserQuery) => JSON.stringify({ ...q, offset: 0, limit: 0 })
  return strip(a) === strip(b)
}

type RouteQuery = Record<string, string | null | (string | null)[] | undefined>

function one(v: RouteQuery[string]): string {
  if (Array.isArray(v)) return v[0] ?? ''
  return v ?? ''
}

// filtersFromRoute reads the filters from the address; anything it does not know is ignored.
export function filtersFromRoute(q: RouteQuery): { filters: UserFilters; sort: UserSort } {
  const f = emptyFilters()
  f.search = one(q.q)
  f.status = one(q.status)
    .split(',')
    .filter((s): s is Status => (statuses as readonly string[]).includes(s))
  const kind = one(q.kind)
  if (kind === 'client' || kind === 'staff') f.kind = kind
  f.role = one(q.role)
  f.organizationId = one(q.org)
  const admin = one(q.admin)
  if (admin === 'yes' || admin === 'no') f.orgAdmin = admin
  const login = one(q.login)
  if (lastLoginOptions.some((o) => o.value === login)) f.lastLogin = login as LastLogin
  else if (legacyLastLogin[login]) [f.lastLogin, f.lastLoginDays] = legacyLastLogin[login]
  if (usesDays(f.lastLogin) && one(q.days)) f.lastLoginDays = lastLoginDays(one(q.days)) ?? defaultLastLoginDays
  f.ghost = one(q.ghost) === '1'
  f.pendingOnly = one(q.pending) === '1'
  const sortKey = one(q.sort)
  const sort: UserSort = {
    key: (sortKeys as readonly string[]).includes(sortKey) ? (sortKey as SortKey) : 'name',
    desc: one(q.desc) === '1',
  }
  return { filters: f, sort }
}

// routeFromFilters is the inverse of filtersFromRoute; defaults are left out of the address.
export function routeFromFilters(f: UserFilters, sort: UserSort): Record<string, string> {
  const q: Record<string, string> = {}
  if (f.search) q.q = f.search
  if (f.status.length) q.status = f.status.join(',')
  if (f.kind) q.kind = f.kind
  if (f.role) q.role = f.role
  if (f.organizationId) q.org = f.organizationId
  if (f.orgAdmin) q.admin = f.orgAdmin
  if (f.lastLogin) q.login = f.lastLogin
  if (usesDays(f.lastLogin)) q.days = String(f.lastLoginDays)
  if (f.ghost) q.ghost = '1'
  if (f.pendingOnly) q.pending = '1'
  if (sort.key !== 'name') q.sort = sort.key
  if (sort.desc) q.desc = '1'
  return q
}

// activeFilters describes each filter that is set, for the removable chips above the table.
export function activeFilters(
  f: UserFilters,
  names: { role?: (id: string) => string; organization?: (id: string) => string } = {},
): { key: keyof UserFilters; label: string }[] {
  const out: { key: keyof UserFilters; label: string }[] = []
  if (f.status.length) out.push({ key: 'status', label: 'Status: ' + f.status.map((s) => statusLabels[s]).join(' or ') })
  if (f.kind) out.push({ key: 'kind', label: f.kind === 'staff' ? 'Staff users' : 'Clients' })
  if (f.role) out.push({ key: 'role', label: 'Role: ' + (names.role?.(f.role) ?? f.role) })
  if (f.organizationId)
    out.push({ key: 'organizationId', label: 'Organisation: ' + (names.organization?.(f.organizationId) ?? f.organizationId) })
  if (f.orgAdmin) out.push({ key: 'orgAdmin', label: f.orgAdmin === 'yes' ? 'Organisation administrators' : 'Not organisation administrators' })
  if (f.lastLogin) out.push({ key: 'lastLogin', label: 'Last login: ' + lastLoginLabel(f) })
  if (f.ghost) out.push({ key: 'ghost', label: 'Ghost accounts' })
  if (f.pendingOnly) out.push({ key: 'pendingOnly', label: 'With changes not yet synced' })
  return out
}

// clearFilter resets one filter to its default.
export function clearFilter(f: UserFilters, key: keyof UserFilters): UserFilters {
  const d = emptyFilters()
  if (key === 'lastLogin') return { ...f, lastLogin: d.lastLogin, lastLoginDays: d.lastLoginDays }
  return { ...f, [key]: d[key] }
}
