import { describe, expect, it } from 'vitest'
import type { Organization } from '../../api/organisations'
import { changedFields, copyAddress, editable, emptyAddress, formatAddress } from './address'

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
