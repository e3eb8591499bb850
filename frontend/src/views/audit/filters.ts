// The Audit screen's filters and the Go AuditQuery they become.
import type { AuditQuery } from '../../api/audit'

export interface AuditFilters {
  entityType: string
  entityId: string
  actorId: string
  action: string
  // [from, to] as milliseconds from the date picker: whole days in the local time zone.
  range: [number, number] | null
}

export function emptyAuditFilters(): AuditFilters {
  return { entityType: '', entityId: '', actorId: '', action: '', range: null }
}


// startOfDay is local midnight of the day t falls on.
function startOfDay(t: number): Date {
  const d = new Date(t)
  d.setHours(0, 0, 0, 0)
  return d
}

// toAuditQuery maps the filters to a query for page (1-based) of pageSize. The date range
// includes both days it names: from is the first day's midnight, to the midnight after the
// last day (the Go side treats "to" as exclusive).
export function toAuditQuery(f: AuditFilters, page: number, pageSize: number): AuditQuery {
  const q: AuditQuery = {
    entityType: f.entityType,
    entityId: f.entityId.trim(),
    actorId: f.actorId,
    action: f.action,
    organizationId: '',
    offset: Math.max(0, (page - 1) * pageSize),
    limit: pageSize,
  } as AuditQuery
  if (f.range) {
    const [a, b] = f.range[0] <= f.range[1] ? f.range : [f.range[1], f.range[0]]
    q.from = startOfDay(a).toISOString()
    // the day after b, at local midnight (setDate copes with DST days of 23 or 25 hours)
    const end = startOfDay(b)
    end.setDate(end.getDate() + 1)
    q.to = end.toISOString()
  } else {
    delete q.from
    delete q.to
  }
  return q
}

