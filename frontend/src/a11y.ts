// Names and levels that Naive UI leaves out, given once for the whole app: a checkbox
// without a label (a table's row selection) points aria-labelledby at an element it never
// draws; a card's header says role="heading" with no level; a number field's - and +
// buttons have no text. Screen readers and axe then find controls without a name. One
// observer mends them as they appear, from what is around them.

// mend fixes what it finds under root.
export function mend(root: ParentNode) {
  for (const el of root.querySelectorAll<HTMLElement>('[role="checkbox"][aria-labelledby]')) {
    const ref = el.getAttribute('aria-labelledby') ?? ''
    if (el.getAttribute('aria-label') || ref.split(/\s+/).some((id) => id && document.getElementById(id))) continue
    const row = el.closest('tr')
    const header = !!el.closest('thead')
    const text = row ? rowText(row, el) : ''
    el.setAttribute('aria-label', header ? 'Select all rows' : text ? `Select ${text}` : 'Select')
  }
  for (const el of root.querySelectorAll<HTMLElement>('[role="heading"]:not([aria-level])')) {
    el.setAttribute('aria-level', el.parentElement?.closest('[role="heading"]') ? '4' : '3')
  }
  for (const box of root.querySelectorAll<HTMLElement>('.n-input-number')) {
    const buttons = box.querySelectorAll<HTMLElement>('button')
    const field = box.querySelector('input')?.getAttribute('aria-label') ?? 'the number'
    buttons.forEach((b, i) => {
      if (!b.getAttribute('aria-label') && !b.textContent?.trim()) b.setAttribute('aria-label', `${i === 0 ? 'Decrease' : 'Increase'} ${field}`)
    })
  }
}

// rowText is a table row's text without the checkbox's own cell: who the row is.
function rowText(row: Element, skip: Element): string {
  const cells = [...row.querySelectorAll('td, th')].filter((c) => !c.contains(skip))
  return cells
    .map((c) => c.textContent?.trim() ?? '')
    .filter(Boolean)
    .slice(0, 2)
    .join(', ')
    .slice(0, 80)
}

// watch mends root now and whenever its content changes; it returns the function that stops.
export function watch(root: HTMLElement): () => void {
  mend(root)
  let queued = false
  const obs = new MutationObserver(() => {
    if (queued) return
    queued = true
    queueMicrotask(() => {
      queued = false
      mend(root)
    })
  })
  obs.observe(root, { childList: true, subtree: true })
  return () => obs.disconnect()
}
