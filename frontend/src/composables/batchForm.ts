// What the administrator typed into the "form a batch" form. It lives here, not in the tab,
// so that switching tabs or screens keeps the letter range, the source, the filters and the
// roles until the batch is formed (the council guide forms small alphabetical batches, and a
// range silently reset to A–Z makes a batch far larger than meant).
import { ref } from 'vue'
import type { FormBatchRequest, Override } from '../api/invitations'

const blank = (): FormBatchRequest => ({ importSessionId: '', letterFrom: 'A', letterTo: 'Z', sortBy: 'organization', membersOnly: false })

const form = ref<FormBatchRequest>(blank())
const overrides = ref<Override[]>([])
const roles = ref('')

export function useBatchForm() {
  return {
    form,
    overrides,
    roles,
    // formed starts the next batch from a clean form.
    formed() {
      form.value = blank()
      overrides.value = []
      roles.value = ''
    },
  }
}
