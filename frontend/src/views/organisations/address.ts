// The organisation profile form: its three addresses and whether anything was edited.
import type { Address, Organization } from '../../api/organisations'

export const addressKinds = [
  { key: 'actualAddress', label: 'Actual address' },
  { key: 'legalAddress', label: 'Legal address' },
  { key: 'shippingAddress', label: 'Shipping address' },
] as const
export type AddressKey = (typeof addressKinds)[number]['key']

export const addressFields: { key: keyof Address; label: string; autocomplete: string }[] = [
  { key: 'line1', label: 'Address line 1', autocomplete: 'address-line1' },
  { key: 'line2', label: 'Address line 2', autocomplete: 'address-line2' },
  { key: 'city', label: 'Town or city', autocomplete: 'address-level2' },
  { key: 'region', label: 'County or region', autocomplete: 'address-level1' },
  { key: 'postalCode', label: 'Postcode', autocomplete: 'postal-code' },
  { key: 'country', label: 'Country', autocomplete: 'country-name' },
]

export function emptyAddress(): Address {
  return { line1: '', line2: '', city: '', region: '', postalCode: '', country: '' }
}

// editable copies what the form edits, with every address present.
export function editable(o: Organization): Organization {
  return {
    ...o,
    actualAddress: { ...emptyAddress(), ...(o.actualAddress ?? {}) },
    legalAddress: { ...emptyAddress(), ...(o.legalAddress ?? {}) },
    shippingAddress: { ...emptyAddress(), ...(o.shippingAddress ?? {}) },
  } as Organization
}

const formKeys = ['name', 'phone', 'actualAddress', 'legalAddress', 'shippingAddress'] as const

// changedFields names what the form changed compared with the loaded profile.
export function changedFields(loaded: Organization, form: Organization): string[] {
  const a = editable(loaded)
  const b = editable(form)
  const out: string[] = []
  for (const k of formKeys) {
    if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) out.push(k)
  }
  return out
}

// carryEdits moves the form's edits onto latest, a newer copy of the record the form was
// opened on (base), when nothing the form shows changed between the two: the newer copy
// is then the administrator's own save coming back from the portal, or a change to
// fields the form does not show, and saving the edits over it overwrites nobody. It
// returns null when a field the form shows did change: the form keeps its older version,
// so that saving it reports the conflict.
export function carryEdits(base: Organization, latest: Organization, form: Organization): Organization | null {
  if (base.id !== latest.id || changedFields(base, latest).length > 0) return null
  const out = editable(latest)
  const edited = editable(form)
  for (const k of formKeys) Object.assign(out, { [k]: edited[k] })
  return out
}

// copyAddress fills one address from another ("same as actual address").
export function copyAddress(o: Organization, from: AddressKey, to: AddressKey): Organization {
  return { ...o, [to]: { ...o[from] } } as Organization
}

// formatAddress shows an address on one line.
export function formatAddress(a: Address | undefined | null): string {
  if (!a) return ''
  return [a.line1, a.line2, a.city, a.region, a.postalCode, a.country].map((s) => (s ?? '').trim()).filter(Boolean).join(', ')
}
