// How accounts read on screen: status words and colours, times, roles. Shared by the
// Users, Approvals and Organisations screens.
import { h, type VNode } from 'vue'
import type { UserRow } from '../api/users'

export type TagType = 'default' | 'success' | 'warning' | 'error' | 'info'

const statusWords: Record<string, [string, TagType]> = {
  pending: ['Pending approval', 'warning'],
  active: ['Active', 'success'],
  invited: ['Invited', 'info'],
  deactivated: ['Deactivated', 'default'],
  denied: ['Denied', 'error'],
}

export function statusLabel(s: string): string {
  return statusWords[s]?.[0] ?? (s ? s.charAt(0).toUpperCase() + s.slice(1) : 'No account')
}

export function statusType(s: string): TagType {
  return statusWords[s]?.[1] ?? 'default'
}

// An invitation's status (pending, accepted, expired, revoked, as of now) in words.
const invitationWords: Record<string, [string, TagType]> = {
  pending: ['Pending', 'info'],
  accepted: ['Accepted', 'success'],
  expired: ['Expired', 'warning'],
  revoked: ['Revoked', 'default'],
}

// invitationStatus is the status's words and colour, or undefined for one not known (an
// invitation the local copy has not synced yet).
export function invitationStatus(s: string): { label: string; type: TagType } | undefined {
  const w = invitationWords[s]
  return w && { label: w[0], type: w[1] }
}

export function kindLabel(k: string): string {
  return k === 'staff' ? 'Staff user' : k === 'client' ? 'Client' : k
}

// toDate reads a time as Go sends it (RFC 3339, or null); Go's zero time counts as none.
export function toDate(v: unknown): Date | null {
  if (v === null || v === undefined || v === '') return null
  const d = v instanceof Date ? v : new Date(v as string)
  if (Number.isNaN(d.getTime()) || d.getUTCFullYear() <= 1) return null
  return d
}

// The formatters are made once: toLocaleString with options makes a new one each time,
// which cost a 100,000-person Users screen about 40 ms of its first draw (two times a row).
let dateTimeFmt: Intl.DateTimeFormat | undefined
let dateFmt: Intl.DateTimeFormat | undefined
let zoneFmt: Intl.DateTimeFormat | undefined
let relativeFmt: Intl.RelativeTimeFormat | undefined

export function formatDateTime(v: unknown, none = '—'): string {
  const d = toDate(v)
  if (!d) return none
  dateTimeFmt ??= new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })
  return dateTimeFmt.format(d)
}

// formatDateTimeZone is formatDateTime with this computer's time zone named, for a hover:
// every time is shown in the computer's zone, and the hover says which one.
export function formatDateTimeZone(v: unknown, none = '—'): string {
  const d = toDate(v)
  if (!d) return none
  zoneFmt ??= new Intl.DateTimeFormat(undefined, { timeZoneName: 'short' })
  const zone = zoneFmt.formatToParts(d).find((p) => p.type === 'timeZoneName')?.value
  return zone ? `${formatDateTime(d)} (${zone})` : formatDateTime(d)
}

export function formatDate(v: unknown, none = '—'): string {
  const d = toDate(v)
  if (!d) return none
  dateFmt ??= new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' })
  return dateFmt.format(d)
}

const units: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
]

// ago says how long ago a time was: "3 days ago", "just now".
export function ago(v: unknown, now: Date = new Date(), none = 'never'): string {
  const d = toDate(v)
  if (!d) return none
  const secs = Math.round((d.getTime() - now.getTime()) / 1000)
  const abs = Math.abs(secs)
  if (abs < 45) return 'just now'
  const rtf = (relativeFmt ??= new Intl.RelativeTimeFormat('en', { numeric: 'auto' }))
  for (const [unit, size] of units) {
    if (abs >= size) return rtf.format(Math.round(secs / size), unit)
  }
  return rtf.format(Math.round(secs / 60), 'minute')
}

// displayName is the person's name, or their e-mail when they gave none.
export function displayName(u: Pick<UserRow, 'name' | 'email'>): string {
  return u.name?.trim() || u.email
}

// domainOf is the part of an e-mail address after the @.
export function domainOf(email: string): string {
  const i = email.lastIndexOf('@')
  return i >= 0 ? email.slice(i + 1) : ''
}

// roleNames reads role IDs as names, through a catalogue lookup.
export function roleNames(ids: string[], name: (id: string) => string | undefined): string[] {
  return ids.filter(Boolean).map((id) => name(id) ?? id)
}

// breakParts cuts an address or domain where a line may break: after the "@" and before
// each dot, as one reads it. A template puts a <wbr> between the parts.
export function breakParts(text: string): string[] {
  return text.split(/(?=\.)|(?<=@)/)
}

// breakable lays out an address or domain for a narrow column: it may break after the
// "@" and before each dot, as one reads it, and not in the middle of a word.
export function breakable(text: string): (string | VNode)[] {
  const out: (string | VNode)[] = []
  breakParts(text).forEach((p, i) => {
    if (i > 0) out.push(h('wbr'))
    out.push(p)
  })
  return out
}
