import { computed, ref, type ComputedRef, type Ref } from 'vue'

export type ThemeName = 'light' | 'dark'

export const themeStorageKey = 'gatehouse.theme'

export interface ThemeStore {
  name: Ref<ThemeName>
  isDark: ComputedRef<boolean>
  set(name: ThemeName): void
  toggle(): void
}

// createThemeStore remembers the user's choice in storage; until they choose, the system's
// preference decides. Storage may be missing or refuse writes (private windows): the
// theme then still switches, it is just not remembered.
export function createThemeStore(storage: Storage | null, systemPrefersDark: boolean): ThemeStore {
  let saved: string | null = null
  try {
    saved = storage?.getItem(themeStorageKey) ?? null
  } catch {
    saved = null
  }
  const name = ref<ThemeName>(saved === 'light' || saved === 'dark' ? saved : systemPrefersDark ? 'dark' : 'light')
  const set = (n: ThemeName) => {
    name.value = n
    try {
      storage?.setItem(themeStorageKey, n)
    } catch {
      // not remembered; see above
    }
  }
  return {
    name,
    isDark: computed(() => name.value === 'dark'),
    set,
    toggle: () => set(name.value === 'dark' ? 'light' : 'dark'),
  }
}

let store: ThemeStore | undefined

// useTheme returns the app's theme store, created on first use from the browser.
export function useTheme(): ThemeStore {
  if (!store) {
    let storage: Storage | null = null
    try {
      storage = window.localStorage
    } catch {
      storage = null
    }
    const prefersDark = typeof window.matchMedia === 'function' && window.matchMedia('(prefers-color-scheme: dark)').matches
    store = createThemeStore(storage, prefersDark)
  }
  return store
}
