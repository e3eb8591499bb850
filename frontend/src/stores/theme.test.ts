import { describe, expect, it } from 'vitest'
import { createThemeStore, themeStorageKey } from './theme'

function memoryStorage(initial: Record<string, string> = {}): Storage {
  const m = new Map(Object.entries(initial))
  return {
    get length() {
      return m.size
    },
    clear: () => m.clear(),
    getItem: (k) => m.get(k) ?? null,
    key: (i) => [...m.keys()][i] ?? null,
    removeItem: (k) => void m.delete(k),
    setItem: (k, v) => void m.set(k, String(v)),
  }
}

const refusing: Storage = {
  length: 0,
  clear() {},
  key: () => null,
  removeItem() {},
  getItem() {
    throw new DOMException('denied', 'SecurityError')
  },
  setItem() {
    throw new DOMException('full', 'QuotaExceededError')
  },
}

describe('theme store', () => {
  it.each([
    [false, 'light'],
    [true, 'dark'],
  ] as const)('follows the system (prefers dark: %s) until the user chooses', (prefersDark, want) => {
    const s = createThemeStore(memoryStorage(), prefersDark)
    expect(s.name.value).toBe(want)
    expect(s.isDark.value).toBe(want === 'dark')
  })

  it('prefers the remembered choice over the system', () => {
    expect(createThemeStore(memoryStorage({ [themeStorageKey]: 'light' }), true).name.value).toBe('light')
    expect(createThemeStore(memoryStorage({ [themeStorageKey]: 'dark' }), false).name.value).toBe('dark')
  })

  it('ignores a remembered value it does not know', () => {
    expect(createThemeStore(memoryStorage({ [themeStorageKey]: 'purple' }), false).name.value).toBe('light')
  })

  it('remembers a toggle for the next start', () => {
    const storage = memoryStorage()
    const s = createThemeStore(storage, false)
    s.toggle()
    expect(s.name.value).toBe('dark')
    expect(storage.getItem(themeStorageKey)).toBe('dark')
    expect(createThemeStore(storage, false).name.value).toBe('dark')
    s.toggle()
    expect(createThemeStore(storage, true).name.value).toBe('light')
  })

  it('still switches when storage refuses', () => {
    const s = createThemeStore(refusing, true)
    expect(s.name.value).toBe('dark')
    s.set('light')
    expect(s.isDark.value).toBe(false)
  })

  it('works without storage', () => {
    const s = createThemeStore(null, false)
    s.toggle()
    expect(s.name.value).toBe('dark')
  })
})
