// Before/after of an audit event as a list of readable changes. Audit events carry the record
// as JSON before and after the action; an administrator wants to read "Status: Pending →
// Active", not two JSON blobs.

export type ChangeKind = 'added' | 'removed' | 'changed'

export interface FieldChange {
  // path is the field's location, e.g. "actualAddress.city" or "additionalRoles".
  path: string
  // label is the path for a person: "Actual address › City".
  label: string
  kind: ChangeKind
  before: string
  after: string
}

// Fields that change with every write and tell the reader nothing.
const noise = new Set(['updatedAt', 'version'])

const labels: Record<string, string> = {
  id: 'ID',
  orgAdmin: 'Organisation administrator',
  organizationId: 'Organisation',
  organizationName: 'Organisation',
  coreRole: 'Core role',
  additionalRoles: 'Additional roles',
  registrationComplete: 'Registration complete',
  clientRecord: 'Client record',
  accessRequestedAt: 'Access requested',
  denyReason: 'Reason for denial',
  decidedBy: 'Decided by',
  decidedAt: 'Decided',
  lastLoginAt: 'Last login',
  createdAt: 'Created',
  email: 'E-mail',
  postalCode: 'Postal code',
  line1: 'Address line 1',
  line2: 'Address line 2',
  actualAddress: 'Actual address',
  legalAddress: 'Legal address',
  shippingAddress: 'Shipping address',
  contactId: 'Contact',
  expiresAt: 'Expires',
  acceptedAt: 'Accepted',
  revokedAt: 'Revoked',
}

// fieldLabel turns a JSON field name into words: "lastLoginAt" → "Last login".
export function fieldLabel(key: string): string {
  if (labels[key]) return labels[key]
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ').toLowerCase()
  return words.charAt(0).toUpperCase() + words.slice(1)
}

// Values of some fields read better as words.
const fieldWords: Record<string, (v: string) => string> = {
  status: (v) => ({ pending: 'Pending approval', active: 'Active', invited: 'Invited', deactivated: 'Deactivated', denied: 'Denied', accepted: 'Accepted', expired: 'Expired', revoked: 'Revoked' })[v] ?? v,
  kind: (v) => ({ client: 'Client', staff: 'Staff user' })[v] ?? v,
  // Who decided on an account, as the audit log names them: Gatehouse itself acts as
  // "system"; an approver's e-mailed link as "approver:" and their address.
  decidedBy: (v) => (v === 'system' ? 'Gatehouse' : v.startsWith('approver:') ? v.slice('approver:'.length) : v),
}

// formatField shows the value of field key (its last path segment).
export function formatField(key: string, v: unknown, locale?: string): string {
  const words = fieldWords[key]
  if (words && typeof v === 'string' && v !== '') return words(v)
  return formatValue(v, locale)
}

const isoTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/

// formatValue shows one JSON value as text. Times are shown in the reader's locale, the way
// every screen shows them ("Dec 7, 2026, 11:45 PM").
export function formatValue(v: unknown, locale?: string): string {
  if (v === undefined || v === null || v === '') return '—'
  if (typeof v === 'boolean') return v ? 'Yes' : 'No'
  if (typeof v === 'string') {
    if (isoTime.test(v)) {
      const d = new Date(v)
      if (!Number.isNaN(d.getTime())) return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(d)
    }
    return v
  }
  if (Array.isArray(v)) return v.length === 0 ? '—' : v.map((x) => formatValue(x, locale)).join(', ')
  if (typeof v === 'object') return JSON.stringify(v)
  return String(v)
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true
  // "" / null / missing / [] all read as "nothing" and are not a change.
  const empty = (x: unknown) => x === undefined || x === null || x === '' || (Array.isArray(x) && x.length === 0)
  if (empty(a) && empty(b)) return true
  return JSON.stringify(a) === JSON.stringify(b)
}

// parseRecord accepts the before/after as Go sends them: a JSON object, a JSON string, or
// nothing. Anything that is not an object is treated as one field named "value".
export function parseRecord(raw: unknown): Record<string, unknown> | null {
  if (raw === undefined || raw === null || raw === '') return null
  let v = raw
  if (typeof raw === 'string') {
    try {
      v = JSON.parse(raw)
    } catch {
      return { value: raw }
    }
  }
  if (v === null) return null
  return isPlainObject(v) ? v : { value: v }
}

// diffRecords lists what differs between before and after, in the order the fields appear
// (after's order, then fields only before had). Nested objects (addresses) are compared
// field by field; arrays as a whole. A missing before means the record was created, a
// missing after that it was removed: every non-empty field is then listed.
export function diffRecords(beforeRaw: unknown, afterRaw: unknown, locale?: string): FieldChange[] {
  const before = parseRecord(beforeRaw)
  const after = parseRecord(afterRaw)
  const out: FieldChange[] = []
  walk(before ?? {}, after ?? {}, [], [], out, locale)
  return out
}

function walk(
  b: Record<string, unknown>,
  a: Record<string, unknown>,
  path: string[],
  label: string[],
  out: FieldChange[],
  locale?: string,
) {
  const keys = [...Object.keys(a), ...Object.keys(b).filter((k) => !(k in a))]
  for (const k of keys) {
    if (path.length === 0 && noise.has(k)) continue
    const bv = b[k]
    const av = a[k]
    const p = [...path, k]
    const l = [...label, fieldLabel(k)]
    if (isPlainObject(bv) || isPlainObject(av)) {
      walk(isPlainObject(bv) ? bv : {}, isPlainObject(av) ? av : {}, p, l, out, locale)
      continue
    }
    if (same(bv, av)) continue
    const emptyB = bv === undefined || bv === null || bv === '' || (Array.isArray(bv) && bv.length === 0)
    const emptyA = av === undefined || av === null || av === '' || (Array.isArray(av) && av.length === 0)
    out.push({
      path: p.join('.'),
      label: l.join(' › '),
      kind: emptyB ? 'added' : emptyA ? 'removed' : 'changed',
      before: formatField(k, bv, locale),
      after: formatField(k, av, locale),
    })
  }
}

// summary is a one-line description of the changes for a collapsed row:
// "Status, Decided by and 2 more".
export function summary(changes: FieldChange[], max = 2): string {
  if (changes.length === 0) return 'No visible change'
  const names = changes.slice(0, max).map((c) => c.label)
  const rest = changes.length - names.length
  if (rest > 0) return `${names.join(', ')} and ${rest} more`
  if (names.length === 1) return names[0]
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`
}
