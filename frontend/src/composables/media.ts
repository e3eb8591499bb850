import { onBeforeUnmount, onMounted, ref, type Ref } from 'vue'

// useMediaQuery is true while the window matches query (a CSS media query), for layouts
// that change more than CSS alone can change, such as a table's columns.
export function useMediaQuery(query: string): Ref<boolean> {
  const matches = ref(false)
  let list: MediaQueryList | undefined
  const update = () => (matches.value = !!list?.matches)
  onMounted(() => {
    if (typeof window.matchMedia !== 'function') return
    list = window.matchMedia(query)
    update()
    list.addEventListener('change', update)
  })
  onBeforeUnmount(() => list?.removeEventListener('change', update))
  return matches
}
