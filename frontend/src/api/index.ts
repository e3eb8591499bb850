// The frontend's only way to the Go side: one function per bound method, each turning a
// rejected promise into an ApiError. Screens import from here, never from wailsjs/.
export { ApiError, call, codeSentences, errorCodes, toApiError, type ErrorCode } from './errors'
export { getAbout, type AboutInfo } from './about'
