import { describe, expect, it } from 'vitest'
import {
  activeFilters,
  clearFilter,
  emptyFilters,
  filtersFromRoute,
  routeFromFilters,
  sameList,
  toUserQuery,
  type UserFilters,
} from './query'

const byName = { key: 'name' as const, desc: false }

describe('toUserQuery', () => {
  it('maps empty filters to a query that filters nothing', () => {
    expect(toUserQuery(emptyFilters(), byName, 0, 200)).toEqual({
      query: '',
      status: [],
      kind: '',
      role: '',
      organizationId: '',
      orgAdmin: undefined,
      lastLogin: '',
      lastLoginDays: 0,
      ghost: false,
      pendingOnly: false,
      offset: 0,
      limit: 200,
      sort: 'name',
      desc: false,
    })
  })

  it('maps every filter', () => {
    const f: UserFilters = {
      search: '  ada   love ',
      status: ['active', 'deactivated'],
      kind: 'staff',
      role: 'reports',
      organizationId: 'org-1',
      orgAdmin: 'no',
      lastLogin: 'olderDays',
      lastLoginDays: 45,
      ghost: true,
      pendingOnly: true,
    }
    expect(toUserQuery(f, { key: 'lastLogin', desc: true }, 400, 200)).toEqual({
      query: 'ada love',
      status: ['active', 'deactivated'],
      kind: 'staff',
      role: 'reports',
      organizationId: 'org-1',
      orgAdmin: false,
      lastLogin: 'olderDays',
      lastLoginDays: 45,
      ghost: true,
      pendingOnly: true,
      offset: 400,
      limit: 200,
      sort: 'lastLogin',
      desc: true,
    })
    expect(toUserQuery({ ...f, orgAdmin: 'yes' }, byName, 0, 1).orgAdmin).toBe(true)
  })

  it('does not share the status list with the filters', () => {
    const f: UserFilters = { ...emptyFilters(), status: ['active'] }
    const q = toUserQuery(f, byName, 0, 1)
    f.status.push('denied')
    expect(q.status).toEqual(['active'])
  })
})

describe('sameList', () => {
  it('ignores the page but nothing else', () => {
    const a = toUserQuery(emptyFilters(), byName, 0, 200)
    expect(sameList(a, toUserQuery(emptyFilters(), byName, 800, 200))).toBe(true)
    expect(sameList(a, toUserQuery({ ...emptyFilters(), search: ' ' }, byName, 0, 200))).toBe(true)
    expect(sameList(a, toUserQuery({ ...emptyFilters(), search: 'x' }, byName, 0, 200))).toBe(false)
    expect(sameList(a, toUserQuery(emptyFilters(), { key: 'name', desc: true }, 0, 200))).toBe(false)
  })
})

describe('route round trip', () => {
  it('leaves defaults out of the address', () => {
    expect(routeFromFilters(emptyFilters(), byName)).toEqual({})
  })

  it('reads back what it wrote', () => {
    const f: UserFilters = {
      search: 'ada',
      status: ['pending', 'invited'],
      kind: 'client',
      role: 'staff',
      organizationId: 'org-2',
      orgAdmin: 'yes',
      lastLogin: 'never',
      lastLoginDays: 90,
      ghost: true,
      pendingOnly: true,
    }
    const sort = { key: 'email' as const, desc: true }
    expect(filtersFromRoute(routeFromFilters(f, sort))).toEqual({ filters: f, sort })
    const g: UserFilters = { ...f, lastLogin: 'withinDays', lastLoginDays: 13 }
    expect(routeFromFilters(g, sort)).toMatchObject({ login: 'withinDays', days: '13' })
    expect(filtersFromRoute(routeFromFilters(g, sort))).toEqual({ filters: g, sort })
  })

  it('reads old preset links and bad day counts', () => {
    expect(filtersFromRoute({ login: 'older90d' }).filters).toMatchObject({ lastLogin: 'olderDays', lastLoginDays: 90 })
    expect(filtersFromRoute({ login: 'within7d' }).filters).toMatchObject({ lastLogin: 'withinDays', lastLoginDays: 7 })
    for (const days of ['0', '-4', '2.5', 'lots', '99999']) {
      expect(filtersFromRoute({ login: 'olderDays', days }).filters.lastLoginDays).toBe(90)
    }
  })

  it('ignores values it does not know', () => {
    const { filters, sort } = filtersFromRoute({ status: 'active,bogus', kind: 'robot', admin: 'maybe', login: 'yesterday', sort: 'shoeSize' })
    expect(filters).toEqual({ ...emptyFilters(), status: ['active'] })
    expect(sort).toEqual(byName)
  })

  it('takes the first of repeated parameters', () => {
    expect(filtersFromRoute({ q: ['one', 'two'] }).filters.search).toBe('one')
  })
})

describe('activeFilters', () => {
  it('names the filters that are set, with names from the lookups', () => {
    const f: UserFilters = { ...emptyFilters(), status: ['pending', 'denied'], organizationId: 'o1', role: 'r1', lastLogin: 'never', orgAdmin: 'yes' }
    expect(activeFilters(f, { organization: () => 'Leeds Pantry', role: () => 'Reports' })).toEqual([
      { key: 'status', label: 'Status: Pending approval or Denied' },
      { key: 'role', label: 'Role: Reports' },
      { key: 'organizationId', label: 'Organisation: Leeds Pantry' },
      { key: 'orgAdmin', label: 'Organisation administrators' },
      { key: 'lastLogin', label: 'Last login: never logged in' },
    ])
    expect(activeFilters({ ...emptyFilters(), lastLogin: 'olderDays', lastLoginDays: 1 })).toEqual([{ key: 'lastLogin', label: 'Last login: more than 1 day ago' }])
    expect(activeFilters({ ...emptyFilters(), lastLogin: 'withinDays', lastLoginDays: 1500 })).toEqual([
      { key: 'lastLogin', label: 'Last login: in the last 1,500 days' },
    ])
  })

  it('clearFilter resets just that one', () => {
    const f: UserFilters = { ...emptyFilters(), ghost: true, kind: 'staff' }
    expect(clearFilter(f, 'ghost')).toEqual({ ...emptyFilters(), kind: 'staff' })
    expect(clearFilter({ ...f, lastLogin: 'olderDays', lastLoginDays: 12 }, 'lastLogin')).toEqual(f)
  })
})
