import { describe, expect, it } from 'vitest'
import type { Organization } from '../../api/organisations'
import { carryEdits, changedFields, copyAddress, editable, emptyAddress, formatAddress } from './address'

const org = {
  id: 'o1',
  name: 'Leeds Pantry',
  phone: '0113 000 0000',
  type: 'pantry',
  member: true,
  actualAddress: { ...emptyAddress(), line1: '1 High St', city: 'Leeds' },
  version: 4,
} as unknown as Organization

describe('organisation form', () => {
  it('fills in the addresses that are missing', () => {
    const f = editable(org)
    expect(f.legalAddress).toEqual(emptyAddress())
    expect(f.actualAddress.city).toBe('Leeds')
    f.actualAddress.city = 'York'
    expect(org.actualAddress.city).toBe('Leeds')
  })

  it('names the changed fields only', () => {
    const f = editable(org)
    expect(changedFields(org, f)).toEqual([])
    f.phone = '0113 111 1111'
    f.shippingAddress.postalCode = 'LS1 1AA'
    expect(changedFields(org, f)).toEqual(['phone', 'shippingAddress'])
  })

  it('carries edits onto the newer copy of the record when only the version moved', () => {
    const form = editable(org)
    form.shippingAddress.city = 'Otley'
    // The administrator's own save came back from the portal: version 5, and a field the
    // form does not show changed meanwhile.
    const latest = { ...org, version: 5, member: false } as unknown as Organization
    const carried = carryEdits(org, latest, form)
    expect(carried?.version).toBe(5)
    expect(carried?.shippingAddress.city).toBe('Otley')
    expect((carried as unknown as { member: boolean }).member).toBe(false)
    expect(changedFields(latest, carried!)).toEqual(['shippingAddress'])
  })

  it('leaves the form on its version when someone changed a field it shows', () => {
    const form = editable(org)
    form.phone = '0113 222 2222'
    const latest = { ...org, version: 5, name: 'Leeds Food Pantry' } as unknown as Organization
    expect(carryEdits(org, latest, form)).toBeNull()
    expect(carryEdits(org, { ...org, id: 'o2' } as Organization, form)).toBeNull()
  })

  it('copies one address to another without sharing it', () => {
    const f = copyAddress(editable(org), 'actualAddress', 'legalAddress')
    expect(f.legalAddress).toEqual(f.actualAddress)
    f.legalAddress.line1 = 'x'
    expect(f.actualAddress.line1).toBe('1 High St')
  })

  it('formats an address on one line', () => {
    expect(formatAddress(org.actualAddress)).toBe('1 High St, Leeds')
    expect(formatAddress(null)).toBe('')
  })
})
