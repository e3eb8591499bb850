import { describe, expect, it } from 'vitest'
import { latestCalls } from './latest'

describe('latestCalls', () => {
  it('keeps only the answer of the load that started last, whatever order they answer in', async () => {
    const loads = latestCalls()
    const answers: string[] = []
    let answerFirst!: (v: string) => void
    const first = new Promise<string>((r) => (answerFirst = r))
    const run = async (p: Promise<string>) => {
      const current = loads.begin()
      const v = await p
      if (current()) answers.push(v)
    }
    const a = run(first) // started first, answers last (read before a save came back)
    const b = run(Promise.resolve('version 5'))
    await b
    answerFirst('version 4')
    await a
    expect(answers).toEqual(['version 5'])
  })

  it('keeps each answer when the loads do not overlap', async () => {
    const loads = latestCalls()
    const current = loads.begin()
    expect(current()).toBe(true)
    const next = loads.begin()
    expect(current()).toBe(false)
    expect(next()).toBe(true)
  })
})
