import { describe, expect, it } from 'vitest'
import { RecordBatch, raw } from '../../src/index'

const FORM = { keyCodec: raw(), valueCodec: raw() }

function batchAt(base: number, count: number, offsetDeltas: number[] | null): RecordBatch {
  const batch = RecordBatch.fromColumns(
    FORM,
    {
      keys: new Array(count).fill(null),
      values: new Array(count).fill(null),
      headers: null,
      timestamps: null,
      offsetDeltas,
      start: 0,
    },
    {
      count,
      firstTimestamp: 0,
      maxTimestamp: 0,
      sizeBytes: 0,
      lastOffsetDelta: offsetDeltas === null ? count - 1 : offsetDeltas[count - 1]!,
    },
  )
  batch.assignBaseOffset(base)
  return batch
}

describe('RecordBatch.indexFrom', () => {
  it('finds the first record at or past an offset in a dense batch', () => {
    const batch = batchAt(10, 5, null)
    expect([5, 10, 12, 14, 15, 99].map((offset) => batch.indexFrom(offset))).toEqual([0, 0, 2, 4, 5, 5])
  })

  it('finds it across the gaps compaction leaves', () => {
    const batch = batchAt(10, 3, [0, 2, 5])
    expect([10, 11, 12, 13, 15, 16].map((offset) => batch.indexFrom(offset))).toEqual([0, 1, 1, 2, 2, 3])
  })
})
