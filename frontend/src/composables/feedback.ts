// One way for every screen to report what happened: a short message for success, the
// error's own sentence (it says what to do) for failures, and a dialog to confirm anything
// that cannot be undone from the screen.
import { h } from 'vue'
import { NButton, NSpace, useDialog, useMessage } from 'naive-ui'
import { toApiError, type ApiError } from '../api/errors'

export interface Feedback {
  ok(text: string): void
  fail(e: unknown, doing?: string): ApiError
  confirm(opts: { title: string; content: string; positive: string; negative?: string; danger?: boolean }): Promise<boolean>
  // unsaved asks what to do with edits about to be left behind: save them, discard them, or
  // stay (also Esc and closing the dialog).
  unsaved(what: string): Promise<'save' | 'discard' | 'stay'>
}

export function useFeedback(): Feedback {
  const message = useMessage()
  const dialog = useDialog()
  return {
    ok(text) {
      message.success(text, { duration: 3000 })
    },
    fail(e, doing) {
      const err = toApiError(e)
      const text = doing ? `${doing}: ${err.message}` : err.message
      message.error(text, { duration: 8000, closable: true, keepAliveOnHover: true })
      return err
    },
    confirm({ title, content, positive, negative = 'Cancel', danger = true }) {
      return new Promise<boolean>((resolve) => {
        let settled = false
        const done = (v: boolean) => {
          if (!settled) {
            settled = true
            resolve(v)
          }
        }
        ;(danger ? dialog.warning : dialog.info)({
          title,
          // pre-line: a sentence per line, and a message shown as it will be sent.
          content: () => h('div', { 'data-testid': 'confirm-text', style: 'white-space: pre-line; max-height: 60vh; overflow: auto' }, content),
          positiveText: positive,
          negativeText: negative,
          autoFocus: true,
          closeOnEsc: true,
          maskClosable: false,
          // ButtonProps has no data-* attributes in its type; the button passes them on.
          positiveButtonProps: { type: danger ? 'error' : 'primary', 'data-testid': 'confirm-yes' } as never,
          negativeButtonProps: { 'data-testid': 'confirm-no' } as never,
          onPositiveClick: () => done(true),
          onNegativeClick: () => done(false),
          onClose: () => done(false),
          onMaskClick: () => done(false),
          onAfterLeave: () => done(false),
        })
      })
    },
    unsaved(what) {
      return new Promise((resolve) => {
        let settled = false
        const d = dialog.warning({
          title: 'Keep your changes?',
          content: () => h('div', { 'data-testid': 'unsaved-text' }, `You changed ${what} and have not saved it.`),
          closeOnEsc: true,
          maskClosable: false,
          autoFocus: true,
          action: () =>
            h(NSpace, { justify: 'end' }, () => [
              h(NButton, { 'data-testid': 'unsaved-stay', onClick: () => done('stay') } as never, () => 'Stay here'),
              h(NButton, { 'data-testid': 'unsaved-discard', onClick: () => done('discard') } as never, () => 'Discard changes'),
              h(NButton, { type: 'primary', 'data-testid': 'unsaved-save', onClick: () => done('save') } as never, () => 'Save'),
            ]),
          onClose: () => done('stay'),
          onAfterLeave: () => done('stay'),
        })
        function done(v: 'save' | 'discard' | 'stay') {
          if (settled) return
          settled = true
          resolve(v)
          d.destroy()
        }
      })
    },
  }
}
