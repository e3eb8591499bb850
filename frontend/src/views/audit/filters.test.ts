import { describe, expect, it } from 'vitest'
import { emptyAuditFilters, toAuditQuery } from './filters'

describe('toAuditQuery', () => {
  it('leaves the dates out when no range is picked, and pages from 1', () => {
    const q = toAuditQuery({ ...emptyAuditFilters(), action: 'account.deny', entityId: ' acc-1 ' }, 3, 50)
    expect(q).toEqual({ entityType: '', entityId: 'acc-1', actorId: '', action: 'account.deny', organizationId: '', offset: 100, limit: 50 })
    expect('from' in q).toBe(false)
  })

  it('covers both named days, from midnight to the midnight after the last', () => {
    const a = new Date(2025, 2, 10, 15, 30).getTime()
    const b = new Date(2025, 2, 12, 9, 0).getTime()
    const q = toAuditQuery({ ...emptyAuditFilters(), range: [a, b] }, 1, 50)
    expect(q.from).toBe(new Date(2025, 2, 10).toISOString())
    expect(q.to).toBe(new Date(2025, 2, 13).toISOString())
  })

  it('accepts a range picked backwards', () => {
    const a = new Date(2025, 0, 5).getTime()
    const b = new Date(2025, 0, 2).getTime()
    const q = toAuditQuery({ ...emptyAuditFilters(), range: [a, b] }, 1, 10)
    expect(q.from).toBe(new Date(2025, 0, 2).toISOString())
    expect(q.to).toBe(new Date(2025, 0, 6).toISOString())
  })

  it('never asks for a negative offset', () => {
    expect(toAuditQuery(emptyAuditFilters(), 0, 10).offset).toBe(0)
  })
})
