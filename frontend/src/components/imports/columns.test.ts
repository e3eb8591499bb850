import { describe, expect, it } from 'vitest'
import { columnChoices, columnLetter, mappingProblems } from './columns'

describe('columnLetter', () => {
  it.each([
    [1, 'A'],
    [26, 'Z'],
    [27, 'AA'],
    [52, 'AZ'],
    [703, 'AAA'],
    [16384, 'XFD'],
  ])('%i → %s', (n, want) => expect(columnLetter(n)).toBe(want))
})

describe('columnChoices', () => {
  const rows = [
    { row: 1, cells: ['Members exported 15 June'] },
    { row: 2, cells: ['E-mail', 'Name', '', 'Body'] },
    { row: 3, cells: ['', 'Ann Lee', 'x', 'Acton PC'] },
    { row: 4, cells: ['bob@barton.gov.uk', 'Bob', '', 'Barton PC', 'extra'] },
  ]
  it('names the columns after the header row and shows the first value below', () => {
    expect(columnChoices(rows, 2)).toEqual([
      { column: 1, label: 'A · E-mail', sample: 'bob@barton.gov.uk' },
      { column: 2, label: 'B · Name', sample: 'Ann Lee' },
      { column: 3, label: 'C · (no heading)', sample: 'x' },
      { column: 4, label: 'D · Body', sample: 'Acton PC' },
      { column: 5, label: 'E · (no heading)', sample: 'extra' },
    ])
  })
  it('follows another header row', () => {
    expect(columnChoices(rows, 1)[0]).toEqual({ column: 1, label: 'A · Members exported 15 June', sample: 'E-mail' })
  })
})

describe('mappingProblems', () => {
  const labels = { email: 'E-mail', organization: 'Organisation', fullName: 'Full name' }
  it('accepts a mapping with an e-mail column', () => {
    expect(mappingProblems({ email: 1, organization: 4, role: null }, labels)).toEqual({ byField: {}, overall: '' })
  })
  it('names both fields that share a column', () => {
    const p = mappingProblems({ email: 1, organization: 1 }, labels)
    expect(p.byField.email).toBe('Column A is also chosen for Organisation; choose it for one field only.')
    expect(p.byField.organization).toBe('Column A is also chosen for E-mail; choose it for one field only.')
  })
  it('asks for an e-mail or a name column', () => {
    expect(mappingProblems({ organization: 2 }, labels).overall).toMatch(/e-mail column or a name column/)
  })
})
