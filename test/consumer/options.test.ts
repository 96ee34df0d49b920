import { describe, expect, it } from 'vitest'
import { openBus } from '../support/bus'

describe('consumer options', () => {
  it('takes a list of assignors and refuses an empty one', async () => {
    const bus = await openBus()
    expect(() =>
      bus.consumer({ groupId: 'g', topics: ['t'], assignor: ['cooperative-sticky', 'range'] }),
    ).not.toThrow()
    expect(() => bus.consumer({ groupId: 'g', topics: ['t'], assignor: [] })).toThrow(/assignor/)
  })
})
