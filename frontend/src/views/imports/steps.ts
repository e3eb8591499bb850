// Small decisions of the Imports screen, kept apart so they can be tested.

// autoRecheckMaxRows: imports up to this size are checked again after every change, so the
// counts follow each fix at once; larger ones wait for "Re-run checks" (a check of 100,000
// rows takes a few seconds).
export const autoRecheckMaxRows = 5000

export function autoRecheck(dataRows: number): boolean {
  return dataRows <= autoRecheckMaxRows
}

// defaultDayFirst guesses how texty dates such as 03/04/2024 are written: month first only
// where that is the custom (the United States and a few others), day first elsewhere.
export function defaultDayFirst(locale: string | undefined): boolean {
  const region = (locale ?? '').split(/[-_]/)[1]?.toUpperCase() ?? ''
  return !['US', 'PH', 'FM', 'MH', 'PW', 'GU', 'AS', 'MP', 'PR', 'VI', 'UM'].includes(region)
}

// baseName is the file name of a path from Windows, macOS or Linux.
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/)
  return parts[parts.length - 1] || path
}

const count = (n: number, one: string, many: string) => `${n.toLocaleString()} ${n === 1 ? one : many}`

// applySentence says in one line what Apply will do, as its button and confirmation read:
// "Create 41 contacts and 6 organisations, update 3, skip 2".
export function applySentence(p: { create: number; update: number; skip: number; newOrganizations: string[] }): string {
  const parts: string[] = []
  const orgs = p.newOrganizations.length
  if (p.create || orgs) {
    let s = `Create ${count(p.create, 'contact', 'contacts')}`
    if (orgs) s += ` and ${count(orgs, 'organisation', 'organisations')}`
    parts.push(s)
  }
  if (p.update) parts.push(`${parts.length ? 'update' : 'Update'} ${count(p.update, 'contact', 'contacts')}`)
  if (p.skip) parts.push(`${parts.length ? 'skip' : 'Skip'} ${count(p.skip, 'row', 'rows')}`)
  return parts.join(', ') || 'Nothing to apply'
}

// applyOutcome says what an apply did, row by row, for the result panel.
export function applyOutcome(s: {
  created: number
  updated: number
  queued: number
  skipped: number
  refused: number
  notYet: number
}): string {
  const parts: string[] = []
  if (s.created) parts.push(`${count(s.created, 'contact', 'contacts')} created`)
  if (s.updated) parts.push(`${count(s.updated, 'contact', 'contacts')} updated`)
  if (s.queued) parts.push(`${count(s.queued, 'change', 'changes')} waiting to be sent to the portal`)
  if (s.skipped) parts.push(`${count(s.skipped, 'row', 'rows')} skipped`)
  if (s.refused) parts.push(`${count(s.refused, 'row', 'rows')} refused`)
  if (s.notYet) parts.push(`${count(s.notYet, 'row', 'rows')} not applied yet`)
  return parts.join(' · ') || 'No rows'
}
