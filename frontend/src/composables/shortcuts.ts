// Keyboard shortcuts of a screen, active while it is mounted. A plain-key shortcut ("/") does
// not fire while the user is typing in a field; Escape and Ctrl/Alt combinations do.
import { onBeforeUnmount, onMounted } from 'vue'

// A handler returns false when the key was not for it; the key then goes on to others.
export type ShortcutMap = Record<string, (e: KeyboardEvent) => boolean | void>

export function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null
  if (!el || !el.tagName) return false
  const tag = el.tagName.toLowerCase()
  return tag === 'input' || tag === 'textarea' || tag === 'select' || el.isContentEditable
}

// keyName names a key press as the shortcut maps do: "/", "Escape", "Ctrl+a", "Alt+d".
export function keyName(e: KeyboardEvent): string {
  const mods = [e.ctrlKey || e.metaKey ? 'Ctrl' : '', e.altKey ? 'Alt' : ''].filter(Boolean)
  return [...mods, e.key.length === 1 ? e.key.toLowerCase() : e.key].join('+')
}

export function useShortcuts(map: ShortcutMap) {
  const handler = (e: KeyboardEvent) => {
    if (e.defaultPrevented) return
    const name = keyName(e)
    const fn = map[name] ?? (e.key === '/' ? map['/'] : undefined)
    if (!fn) return
    const modified = e.ctrlKey || e.metaKey || e.altKey
    if (name !== 'Escape' && !modified && isTyping(e.target)) return
    // A dialog on top owns the keyboard.
    if (document.querySelector('.n-modal-container .n-dialog, .n-modal-container .n-card')) return
    if (fn(e) === false) return
    e.preventDefault()
  }
  onMounted(() => window.addEventListener('keydown', handler))
  onBeforeUnmount(() => window.removeEventListener('keydown', handler))
}
