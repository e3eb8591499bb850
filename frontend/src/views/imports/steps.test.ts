import { describe, expect, it } from 'vitest'
import { applyOutcome, applySentence, autoRecheck, autoRecheckMaxRows, baseName, defaultDayFirst } from './steps'

describe('autoRecheck', () => {
  it('checks small imports after every change and leaves large ones to the button', () => {
    expect(autoRecheck(12)).toBe(true)
    expect(autoRecheck(autoRecheckMaxRows)).toBe(true)
    expect(autoRecheck(autoRecheckMaxRows + 1)).toBe(false)
  })
})

describe('defaultDayFirst', () => {
  it.each([
    ['en-GB', true],
    ['en-US', false],
    ['en_US', false],
    ['fr-FR', true],
    ['en', true],
    ['', true],
    [undefined, true],
  ])('%s → %s', (locale, want) => expect(defaultDayFirst(locale)).toBe(want))
})

describe('baseName', () => {
  it.each([
    ['/home/ann/members.xlsx', 'members.xlsx'],
    ['C:\\Users\\Ann\\Desktop\\members.csv', 'members.csv'],
    ['members.csv', 'members.csv'],
  ])('%s → %s', (p, want) => expect(baseName(p)).toBe(want))
})

describe('applySentence', () => {
  it('names every outcome with its count', () => {
    expect(applySentence({ create: 41, update: 3, skip: 2, newOrganizations: ['A', 'B', 'C', 'D', 'E', 'F'] })).toBe(
      'Create 41 contacts and 6 organisations, update 3 contacts, skip 2 rows',
    )
  })
  it('uses the singular and leaves out what does not happen', () => {
    expect(applySentence({ create: 1, update: 0, skip: 1, newOrganizations: [] })).toBe('Create 1 contact, skip 1 row')
    expect(applySentence({ create: 0, update: 2, skip: 0, newOrganizations: [] })).toBe('Update 2 contacts')
    expect(applySentence({ create: 0, update: 0, skip: 0, newOrganizations: [] })).toBe('Nothing to apply')
  })
})

describe('applyOutcome', () => {
  it('says what happened and what is still waiting', () => {
    expect(applyOutcome({ created: 3, updated: 0, queued: 2, skipped: 6, refused: 1, notYet: 0 })).toBe(
      '3 contacts created · 2 changes waiting to be sent to the portal · 6 rows skipped · 1 row refused',
    )
  })
})
