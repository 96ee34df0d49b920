/**
 * The facade's retry schedule against KafkaJS 2.2.4's own retrier (src/retry/index.js), run side by
 * side with the same random numbers: the same waits, the same defaults (KafkaJS's test defaults here,
 * since NODE_ENV is 'test' under vitest, as under jest).
 */
import { createRequire } from 'node:module'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { RetryTimes, resolveRetry } from '../../src/kafkajs/cluster'
import type { RetryOptions } from '../../src/kafkajs/index'

type Retrier = (
  fn: (bail: (error: Error) => void, retryCount: number, retryTime: number) => Promise<unknown>,
) => Promise<unknown>
const createRetry = createRequire(import.meta.url)('kafkajs/src/retry') as (options?: RetryOptions) => Retrier

/** The waits KafkaJS's retrier announces to its function, failing `failures` times. */
async function kafkaJSWaits(options: RetryOptions, failures: number): Promise<number[]> {
  const waits: number[] = []
  await createRetry(options)(async (_bail, retryCount, retryTime) => {
    waits.push(retryTime)
    if (retryCount < failures) throw new Error('again')
  })
  return waits
}

function facadeWaits(options: RetryOptions, failures: number): number[] {
  const times = new RetryTimes(resolveRetry(options))
  const waits = [times.current]
  while (times.count < failures) {
    times.advance()
    waits.push(times.current)
  }
  return waits
}

/** Math.random returns these, in turn, to both. */
function randomSequence(): void {
  let i = 0
  const values = [0.9, 0.1, 0.5, 0.75, 0.3, 0.6, 0.05, 0.95]
  vi.spyOn(Math, 'random').mockImplementation(() => values[i++ % values.length]!)
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('retry schedule', () => {
  it.each([
    { initialRetryTime: 1, multiplier: 1.5, maxRetryTime: 30, factor: 0.2 },
    { initialRetryTime: 2, multiplier: 2, maxRetryTime: 10, factor: 0 },
    { initialRetryTime: 1, multiplier: 1.25, maxRetryTime: 100, factor: 0.5 },
  ])('waits what KafkaJS waits: %o', async (options) => {
    randomSequence()
    const expected = await kafkaJSWaits({ ...options, retries: 6 }, 6)
    randomSequence()
    expect(facadeWaits({ ...options, retries: 6 }, 6)).toEqual(expected)
  })

  it('has KafkaJS’s defaults (its test defaults when NODE_ENV is test)', async () => {
    expect(process.env.NODE_ENV).toBe('test')
    randomSequence()
    const expected = await kafkaJSWaits({}, 2)
    randomSequence()
    expect(facadeWaits({}, 2)).toEqual(expected)
    expect(resolveRetry({})).toMatchObject({
      retries: 15,
      multiplier: 1.5,
      factor: 0.02,
      maxRetryTime: 1_000,
    })
  })

  it('is exact with factor 0', () => {
    expect(facadeWaits({ initialRetryTime: 100, multiplier: 1.5, factor: 0, maxRetryTime: 300 }, 4)).toEqual([
      100, 150, 225, 300, 300,
    ])
  })
})
