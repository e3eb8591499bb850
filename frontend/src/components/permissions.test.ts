import { describe, expect, it } from 'vitest'
import { may, refusal, type Actor } from './permissions'

const refusals = {
  system: 'Only a system administrator can do this.',
  decide: 'You do not have user-setup permission, so you cannot decide sign-in requests. Ask a system administrator.',
  otherOrganisation: 'You administer another organisation only. Ask a system administrator to do this.',
}
const none = { system: '', decide: '', otherOrganisation: '' }
const local: Actor = { known: true, systemAdmin: true, userSetup: true, orgAdminOf: '', refusals: none }
const orgAdmin: Actor = { known: true, systemAdmin: false, userSetup: false, orgAdminOf: 'org_a', refusals }
const setup: Actor = { known: true, systemAdmin: false, userSetup: true, orgAdminOf: '', refusals: { ...refusals, decide: '' } }

describe('refusal', () => {
  it.each([
    ['local admin purges', local, 'purge', '', ''],
    ['local admin administers any organisation', local, 'administer', 'org_b', ''],
    ['org admin cannot purge', orgAdmin, 'purge', 'org_a', refusals.system],
    ['org admin cannot promote', orgAdmin, 'promote', 'org_a', refusals.system],
    ['org admin administers their own', orgAdmin, 'administer', 'org_a', ''],
    ['org admin not another organisation', orgAdmin, 'administer', 'org_b', refusals.otherOrganisation],
    ['org admin not a person without organisation', orgAdmin, 'administer', '', refusals.otherOrganisation],
    ['org admin decides in their own', orgAdmin, 'decide', 'org_a', ''],
    ['org admin not elsewhere', orgAdmin, 'decide', 'org_b', refusals.decide],
    ['user setup decides anywhere', setup, 'decide', 'org_b', ''],
    ['user setup does not administer', setup, 'administer', 'org_b', refusals.otherOrganisation],
    ['user setup cannot change system roles', setup, 'systemRoles', '', refusals.system],
    ['local admin changes the portal', local, 'changePortal', '', ''],
    ['org admin cannot change the portal', orgAdmin, 'changePortal', '', refusals.system],
    ['org admin cannot add organisations', orgAdmin, 'createOrganisation', '', refusals.system],
  ] as const)('%s', (_, actor, action, org, want) => {
    expect(refusal(actor, action, org)).toBe(want)
    expect(may(actor, action, org)).toBe(want === '')
  })

  it('refuses nothing before the Go side answered: the server still checks', () => {
    expect(refusal(null, 'purge')).toBe('')
  })

  it('an actor not known yet is refused with the reason Go gave', () => {
    const msg = 'Gatehouse does not know yet what you may do on this portal. Connect to the portal server (and sign in) once, then try again.'
    const unknown: Actor = { known: false, systemAdmin: false, userSetup: false, orgAdminOf: '', refusals: { system: msg, decide: msg, otherOrganisation: msg } }
    expect(refusal(unknown, 'administer', 'org_a')).toBe(msg)
    expect(refusal(unknown, 'purge')).toBe(msg)
  })
})
