import { describe, expect, it } from 'vitest'
import type { Version } from '../api/sync'
import { conflictFields, conflictTitle, recordOf } from './conflict'

const account = (over: Record<string, unknown>) =>
  ({ account: { id: 'a1', name: 'Ada', email: 'ada@x.org', status: 'pending', orgAdmin: false, version: 3, ...over }, removed: false, version: 3 }) as unknown as Version

describe('conflictFields', () => {
  it('puts the fields that differ first and hides bookkeeping', () => {
    const rows = conflictFields(account({ status: 'active', version: 3 }), account({ status: 'denied', denyReason: 'Not staff', version: 4 }))
    expect(rows.map((r) => [r.label, r.mine, r.theirs, r.differs])).toEqual([
      ['Status', 'Active', 'Denied', true],
      ['Reason for denial', '—', 'Not staff', true],
      ['Name', 'Ada', 'Ada', false],
      ['E-mail', 'ada@x.org', 'ada@x.org', false],
      ['Organisation administrator', 'No', 'No', false],
    ])
  })

  it('shows a removed side as Removed', () => {
    const rows = conflictFields(account({ status: 'active' }), { removed: true, version: 5 } as Version)
    expect(rows.every((r) => r.theirs === 'Removed' && r.differs)).toBe(true)
  })

  it('compares nested addresses field by field', () => {
    const org = (city: string) => ({ organization: { id: 'o', name: 'Pantry', actualAddress: { city } }, removed: false, version: 1 }) as unknown as Version
    const rows = conflictFields(org('Leeds'), org('York'))
    expect(rows[0]).toEqual({ path: 'actualAddress.city', label: 'Actual address › City', mine: 'Leeds', theirs: 'York', differs: true })
  })

  it("shows a message's subject and text, not its bookkeeping", () => {
    const tpl = (subject: string, body: string) =>
      ({ template: { key: 'approved', name: 'Approved', subject, body, placeholders: ['UserName'], version: 4 }, removed: false, version: 4 }) as unknown as Version
    const rows = conflictFields(tpl('Welcome', 'Hi @UserName@'), tpl('You are in', 'Hi @UserName@'))
    expect(rows.map((r) => [r.path, r.mine, r.theirs, r.differs])).toEqual([
      ['subject', 'Welcome', 'You are in', true],
      ['name', 'Approved', 'Approved', false],
      ['body', 'Hi @UserName@', 'Hi @UserName@', false],
    ])
  })

  it("names the portal's settings by the portal", () => {
    const set = (productName: string) => ({ settings: { productName, sessionHours: 8, version: 2 }, removed: false, version: 2 }) as unknown as Version
    expect(conflictTitle(set('Riverside'), set('Council Hub'), 'x')).toBe('Council Hub')
    expect(conflictFields(set('Riverside'), set('Council Hub'))[0]).toMatchObject({ path: 'productName', mine: 'Riverside', theirs: 'Council Hub' })
  })

  it('lines up two versions of an organisation role', () => {
    const role = (name: string, permissions: string[]) =>
      ({ role: { id: 'org_a_clerk', name, scope: 'organization', organizationId: 'org_a', permissions, version: 2 }, removed: false, version: 2 }) as unknown as Version
    const rows = conflictFields(role('Parish clerk', []), role('Town clerk', ['minutes']))
    expect(rows.filter((r) => r.differs).map((r) => [r.path, r.mine, r.theirs])).toEqual([
      ['name', 'Parish clerk', 'Town clerk'],
      ['permissions', '—', 'minutes'],
    ])
    expect(conflictTitle(role('Parish clerk', []), role('Town clerk', []), 'x')).toBe('Town clerk')
  })
})

describe('conflictTitle / recordOf', () => {
  it('names the person from either side', () => {
    expect(conflictTitle(account({}), { removed: true, version: 1 } as Version, 'x')).toBe('Ada (ada@x.org)')
    expect(conflictTitle(null, null, 'Approve someone')).toBe('Approve someone')
    expect(recordOf({ removed: true, version: 1 } as Version)).toBeNull()
  })
})
