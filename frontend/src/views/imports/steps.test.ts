import { describe, expect, it } from 'vitest'
import { autoRecheck, autoRecheckMaxRows, baseName, defaultDayFirst } from './steps'

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
