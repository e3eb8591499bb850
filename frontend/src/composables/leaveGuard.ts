// Edits are not left behind without asking. useLeaveGuard asks whether to save them,
// discard them or stay when the administrator goes to another screen, and, inside a view
// whose tabs unmount their panels (provideLeaveGuards), to another tab.
import { inject, onBeforeUnmount, provide, type InjectionKey } from 'vue'
import { onBeforeRouteLeave } from 'vue-router'
import { useFeedback } from './feedback'

type Guard = () => Promise<boolean>
const guardsKey: InjectionKey<Set<Guard>> = Symbol('leave guards')

// provideLeaveGuards is called by a view with tabs; the function it returns, given to the
// tabs' on-before-leave, asks the open panel before the tab changes.
export function provideLeaveGuards(): () => Promise<boolean> {
  const guards = new Set<Guard>()
  provide(guardsKey, guards)
  return async () => {
    for (const g of guards) if (!(await g())) return false
    return true
  }
}

// useLeaveGuard guards a form: dirty says whether it holds edits not saved, what names
// them ("the portal settings"), save saves them and says whether that worked. The
// function it returns asks the same question where the form itself moves on (another
// record chosen in the same panel).
export function useLeaveGuard(dirty: () => boolean, what: () => string, save: () => Promise<boolean>): () => Promise<boolean> {
  const fb = useFeedback()
  async function mayLeave(): Promise<boolean> {
    if (!dirty()) return true
    const choice = await fb.unsaved(what())
    if (choice === 'save') return await save()
    return choice === 'discard'
  }
  onBeforeRouteLeave(() => mayLeave())
  const guards = inject(guardsKey, null)
  if (guards) {
    guards.add(mayLeave)
    onBeforeUnmount(() => guards.delete(mayLeave))
  }
  return mayLeave
}
