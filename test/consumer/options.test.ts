import { describe, expect, it } from 'vitest'
import { InvalidConfigError } from '../../src/index'
import { openBus } from '../support/bus'

describe('consumer options', () => {
  it('accepts a fractional retry schedule (KafkaJS users write multiplier: 1.5)', async () => {
    const bus = await openBus()
    const retry = { retries: 3, initialRetryTimeMs: 12.5, maxRetryTimeMs: 1_000.5, multiplier: 1.5 }
    expect(() => bus.consumer({ groupId: 'g', topics: ['t'], retry })).not.toThrow()
  })

  it('still rejects a retry schedule that cannot work', async () => {
    const bus = await openBus()
    const bad = [
      { initialRetryTimeMs: -1 },
      { maxRetryTimeMs: Number.POSITIVE_INFINITY },
      { multiplier: 0.5 },
    ]
    for (const retry of bad) {
      expect(() => bus.consumer({ groupId: 'g', topics: ['t'], retry })).toThrow(InvalidConfigError)
    }
    expect(() => bus.consumer({ groupId: 'g', topics: ['t'], retry: { retries: 1.5 } })).toThrow(
      /consumer\.retry\.retries/,
    )
  })

  it('takes a list of assignors and refuses an empty one', async () => {
    const bus = await openBus()
    expect(() =>
      bus.consumer({ groupId: 'g', topics: ['t'], assignor: ['cooperative-sticky', 'range'] }),
    ).not.toThrow()
    expect(() => bus.consumer({ groupId: 'g', topics: ['t'], assignor: [] })).toThrow(/assignor/)
  })
})
