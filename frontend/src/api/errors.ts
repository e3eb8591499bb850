// Errors from bound Go methods. app.ErrorFormatter (app/errors.go) turns every error a
// bound method returns into a JSON string {"code","message","field"}; Wails rejects the
// call's promise with new Error(thatString). toApiError turns any rejection back into an
// ApiError, so screens only ever deal with one error type.

export const errorCodes = ['invalid', 'not_found', 'conflict', 'unauthorized', 'forbidden', 'too_many_requests', 'internal'] as const
export type ErrorCode = (typeof errorCodes)[number]

// One sentence per code, for titles and for errors that came without a message.
export const codeSentences: Record<ErrorCode, string> = {
  invalid: 'Some of the information entered is not valid. Correct it and try again.',
  not_found: 'This record no longer exists. It may have been removed; refresh the list.',
  conflict: 'Someone else changed this first. Review the latest version and try again.',
  unauthorized: 'Your session has ended. Sign in again to continue.',
  forbidden: 'You are not allowed to do this. Ask a system administrator for access.',
  too_many_requests: 'There were too many tries just now. Wait a little, then try again.',
  internal:
    'Something went wrong inside Gatehouse. Try again; if it keeps happening, send the log file to your support contact.',
}

export class ApiError extends Error {
  readonly code: ErrorCode
  readonly field?: string

  constructor(code: ErrorCode, message?: string, field?: string) {
    super(message && message.trim() !== '' ? message : codeSentences[code])
    this.name = 'ApiError'
    this.code = code
    if (field) this.field = field
  }

  // A short headline for the error, by code.
  get title(): string {
    return codeSentences[this.code]
  }
}

function isCode(v: unknown): v is ErrorCode {
  return typeof v === 'string' && (errorCodes as readonly string[]).includes(v)
}

function fromPayload(v: unknown): ApiError | null {
  if (v === null || typeof v !== 'object') return null
  const p = v as { code?: unknown; message?: unknown; field?: unknown }
  if (!isCode(p.code)) return null
  return new ApiError(
    p.code,
    typeof p.message === 'string' ? p.message : undefined,
    typeof p.field === 'string' ? p.field : undefined,
  )
}

// toApiError accepts whatever a rejected binding promise carries: an Error whose message is
// the JSON payload, the JSON string itself, the parsed object, or anything else (which
// becomes "internal" and is logged to the console with its original text).
export function toApiError(reason: unknown): ApiError {
  if (reason instanceof ApiError) return reason
  const direct = fromPayload(reason)
  if (direct) return direct
  const text = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : ''
  if (text.trimStart().startsWith('{')) {
    try {
      const parsed = fromPayload(JSON.parse(text))
      if (parsed) return parsed
    } catch {
      // not JSON after all: fall through
    }
  }
  console.error('Gatehouse: unexpected error from the backend:', reason)
  return new ApiError('internal')
}

// call runs a binding and turns its rejection into an ApiError.
export async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (e) {
    throw toApiError(e)
  }
}
