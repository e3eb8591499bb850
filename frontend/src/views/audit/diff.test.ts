import { describe, expect, it } from 'vitest'
import { diffRecords, fieldLabel, formatValue, parseRecord, summary } from './diff'

const before = {
  id: 'acc-1',
  name: 'Ada Lovelace',
  status: 'pending',
  orgAdmin: false,
  coreRole: '',
  additionalRoles: [],
  decidedBy: '',
  actualAddress: { line1: '1 High St', city: 'Leeds', country: 'UK' },
  updatedAt: '2025-01-01T10:00:00Z',
  version: 3,
}

describe('diffRecords', () => {
  it('lists changed, added and removed fields with readable labels, skipping noise', () => {
    const after = {
      ...before,
      status: 'active',
      orgAdmin: true,
      additionalRoles: ['reports', 'user-setup'],
      decidedBy: 'Ben',
      actualAddress: { line1: '1 High St', city: 'York', country: '' },
      updatedAt: '2025-02-01T10:00:00Z',
      version: 4,
    }
    expect(diffRecords(JSON.stringify(before), after)).toEqual([
      { path: 'status', label: 'Status', kind: 'changed', before: 'Pending approval', after: 'Active' },
      { path: 'orgAdmin', label: 'Organisation administrator', kind: 'changed', before: 'No', after: 'Yes' },
      { path: 'additionalRoles', label: 'Additional roles', kind: 'added', before: '—', after: 'reports, user-setup' },
      { path: 'decidedBy', label: 'Decided by', kind: 'added', before: '—', after: 'Ben' },
      { path: 'actualAddress.city', label: 'Actual address › City', kind: 'changed', before: 'Leeds', after: 'York' },
      { path: 'actualAddress.country', label: 'Actual address › Country', kind: 'removed', before: 'UK', after: '—' },
    ])
  })

  it('treats "", null, missing and [] as the same nothing', () => {
    expect(diffRecords({ a: '', b: null, c: [] }, { b: '', c: null, d: [] })).toEqual([])
  })

  it('lists every field of a created record as added, and of a removed one as removed', () => {
    const created = diffRecords(null, { name: 'Ada', status: 'pending', version: 1 })
    expect(created.map((c) => [c.path, c.kind])).toEqual([
      ['name', 'added'],
      ['status', 'added'],
    ])
    const removed = diffRecords({ name: 'Ada' }, undefined)
    expect(removed).toEqual([{ path: 'name', label: 'Name', kind: 'removed', before: 'Ada', after: '—' }])
  })

  it('keeps fields only the before had, after those of the after', () => {
    expect(diffRecords({ x: 1, gone: 'yes' }, { x: 2 }).map((c) => c.path)).toEqual(['x', 'gone'])
  })

  it('shows timestamps in the given locale and leaves other strings alone', () => {
    const [c] = diffRecords({}, { lastLoginAt: '2025-03-04T05:06:07Z' }, 'en-GB')
    expect(c.after).toBe(new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short' }).format(new Date('2025-03-04T05:06:07Z')))
    expect(c.after).toMatch(/^4 Mar 2025, \d{2}:\d{2}$/)
    expect(formatValue('2025-03-04 not a time')).toBe('2025-03-04 not a time')
  })

  it('names who decided in words: Gatehouse itself, or the approver whose link was used', () => {
    const [a, b] = diffRecords({ decidedBy: 'system' }, { decidedBy: 'approver:ann@example.org' })
    expect([a.before, a.after, b]).toEqual(['Gatehouse', 'ann@example.org', undefined])
  })
})

describe('parseRecord', () => {
  it.each([
    [null, null],
    ['', null],
    ['null', null],
    ['{"a":1}', { a: 1 }],
    [{ a: 1 }, { a: 1 }],
    ['not json', { value: 'not json' }],
    ['[1,2]', { value: [1, 2] }],
  ])('parses %j', (raw, want) => {
    expect(parseRecord(raw)).toEqual(want)
  })
})

describe('fieldLabel', () => {
  it.each([
    ['lastLoginAt', 'Last login'],
    ['someNewField', 'Some new field'],
    ['snake_case_field', 'Snake case field'],
    ['email', 'E-mail'],
  ])('%s → %s', (k, want) => expect(fieldLabel(k)).toBe(want))
})

describe('summary', () => {
  const c = (label: string) => ({ path: label, label, kind: 'changed' as const, before: '', after: '' })
  it.each([
    [[], 'No visible change'],
    [[c('Status')], 'Status'],
    [[c('Status'), c('Roles')], 'Status and Roles'],
    [[c('Status'), c('Roles'), c('Name'), c('City')], 'Status, Roles and 2 more'],
  ])('%#', (changes, want) => expect(summary(changes)).toBe(want))
})
