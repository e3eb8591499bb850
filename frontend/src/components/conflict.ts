// Both sides of a sync conflict, field by field, for the conflicts drawer.
import type { Version } from '../api/sync'
import { fieldLabel, formatField } from '../views/audit/diff'

export interface ConflictField {
  path: string
  label: string
  mine: string
  theirs: string
  differs: boolean
}

// Fields that are bookkeeping, not something the administrator decides on. An account's
// subject is its SSO identifier; a message's subject is what the administrator wrote.
const hidden = new Set(['id', 'version', 'updatedAt', 'createdAt', 'subject', 'contactId', 'organizationId'])
const hiddenInMessages = new Set(['key', 'version', 'updatedAt', 'placeholders'])

export function recordOf(v: Version | undefined | null): Record<string, unknown> | null {
  if (!v || v.removed) return null
  return (v.account ?? v.organization ?? v.contact ?? v.invitation ?? v.role ?? v.template ?? v.settings ?? null) as Record<
    string,
    unknown
  > | null
}

function flatten(
  rec: Record<string, unknown>,
  prefix: string[] = [],
  label: string[] = [],
  out = new Map<string, [string, unknown]>(),
  skip: Set<string> = hidden,
) {
  for (const [k, v] of Object.entries(rec)) {
    if (prefix.length === 0 && skip.has(k)) continue
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      flatten(v as Record<string, unknown>, [...prefix, k], [...label, fieldLabel(k)], out, skip)
    } else {
      out.set([...prefix, k].join('.'), [[...label, fieldLabel(k)].join(' › '), v])
    }
  }
  return out
}

// conflictFields lines up my version and theirs. The fields that differ come first, in the
// record's order; a removed record shows as "Removed" in every field.
export function conflictFields(mine: Version | undefined | null, theirs: Version | undefined | null): ConflictField[] {
  const m = recordOf(mine)
  const t = recordOf(theirs)
  const skip = (mine?.template ?? theirs?.template) ? hiddenInMessages : hidden
  const fm = m ? flatten(m, [], [], undefined, skip) : new Map<string, [string, unknown]>()
  const ft = t ? flatten(t, [], [], undefined, skip) : new Map<string, [string, unknown]>()
  const paths = [...fm.keys(), ...[...ft.keys()].filter((k) => !fm.has(k))]
  const rows = paths.map((p) => {
    const label = (fm.get(p) ?? ft.get(p))![0]
    const key = p.split('.').pop()!
    const mv = m ? formatField(key, fm.get(p)?.[1]) : 'Removed'
    const tv = t ? formatField(key, ft.get(p)?.[1]) : 'Removed'
    return { path: p, label, mine: mv, theirs: tv, differs: mv !== tv }
  })
  return [...rows.filter((r) => r.differs), ...rows.filter((r) => !r.differs)]
}

// conflictTitle names the record: "Ada Lovelace (ada@example.org)".
export function conflictTitle(mine: Version | undefined | null, theirs: Version | undefined | null, fallback: string): string {
  const r = recordOf(theirs) ?? recordOf(mine)
  if (!r) return fallback
  const name = (r.name ?? r.fullName ?? r.productName ?? '') as string
  const email = (r.email ?? '') as string
  if (name && email) return `${name} (${email})`
  return name || email || fallback
}
