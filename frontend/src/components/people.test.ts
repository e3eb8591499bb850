import { describe, expect, it } from 'vitest'
import { breakable, invitationStatus } from './people'

describe('breakable', () => {
  it('lets an address break after the @ and before each dot, and nowhere else', () => {
    const parts = breakable('pete.walsh@mail.example.com')
    const text = parts.map((p) => (typeof p === 'string' ? p : `<${String(p.type)}>`)).join('')
    expect(text).toBe('pete<wbr>.walsh@<wbr>mail<wbr>.example<wbr>.com')
  })
  it('leaves a word without dots whole', () => {
    expect(breakable('—')).toEqual(['—'])
  })
})

describe('invitationStatus', () => {
  it('names each status in words, and none that the local copy has not synced', () => {
    expect(['pending', 'accepted', 'expired', 'revoked'].map((s) => invitationStatus(s)?.label)).toEqual(['Pending', 'Accepted', 'Expired', 'Revoked'])
    expect(invitationStatus('')).toBeUndefined()
  })
})
