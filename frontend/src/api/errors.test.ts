import { afterEach, describe, expect, it, vi } from 'vitest'
import { ApiError, call, codeSentences, errorCodes, toApiError } from './errors'

afterEach(() => vi.restoreAllMocks())

describe('toApiError', () => {
  const payload = '{"code":"conflict","message":"Ada was approved by Ben a minute ago.","field":"status"}'

  it.each([
    ['an Error carrying the JSON payload, as Wails rejects', new Error(payload)],
    ['the JSON string itself', payload],
    ['the parsed object', JSON.parse(payload)],
  ])('reads %s', (_, reason) => {
    const e = toApiError(reason)
    expect(e).toBeInstanceOf(ApiError)
    expect(e).toBeInstanceOf(Error)
    expect(e.code).toBe('conflict')
    expect(e.message).toBe('Ada was approved by Ben a minute ago.')
    expect(e.field).toBe('status')
    expect(e.title).toBe(codeSentences.conflict)
  })

  it.each(errorCodes)('keeps code %s', (code) => {
    expect(toApiError(new Error(JSON.stringify({ code, message: 'm' }))).code).toBe(code)
  })

  it('uses the sentence for the code when the message is empty', () => {
    const e = toApiError(new Error('{"code":"forbidden","message":""}'))
    expect(e.code).toBe('forbidden')
    expect(e.message).toBe(codeSentences.forbidden)
    expect(e.field).toBeUndefined()
  })

  it.each([
    ['a Wails argument error', new Error("error parsing arguments: received 1 arguments to method 'app.ConnectionService.About', expected 0")],
    ['an unknown code', new Error('{"code":"teapot","message":"short and stout"}')],
    ['broken JSON', new Error('{"code":')],
    ['a TypeError from a missing binding', new TypeError("Cannot read properties of undefined (reading 'app')")],
    ['undefined', undefined],
    ['a number', 42],
  ])('turns %s into internal, without showing its text', (_, reason) => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    const e = toApiError(reason)
    expect(e.code).toBe('internal')
    expect(e.message).toBe(codeSentences.internal)
    expect(log).toHaveBeenCalledOnce()
  })

  it('returns an ApiError unchanged', () => {
    const e = new ApiError('not_found', 'gone')
    expect(toApiError(e)).toBe(e)
  })
})

describe('call', () => {
  it('passes results through', async () => {
    await expect(call(async () => ({ version: '1.0' }))).resolves.toEqual({ version: '1.0' })
  })

  it('turns a rejection into an ApiError', async () => {
    const p = call(() => Promise.reject(new Error('{"code":"unauthorized","message":"Sign in again."}')))
    await expect(p).rejects.toBeInstanceOf(ApiError)
    await expect(p).rejects.toMatchObject({ code: 'unauthorized', message: 'Sign in again.' })
  })

  it('turns a synchronous throw into an ApiError', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    await expect(
      call(() => {
        throw new TypeError('window.go is undefined')
      }),
    ).rejects.toMatchObject({ code: 'internal' })
  })
})
