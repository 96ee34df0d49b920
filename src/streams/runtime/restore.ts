import { type Bus, InvalidRecordError, type Topic, type TopicDeclarations } from '../../index'

type AnyTopic = Topic<unknown, unknown, unknown, unknown>

/** Bytes read per step of a restore: large, so a restore is few reads. */
const RESTORE_READ_BYTES = 8 << 20

/**
 * Replays one partition of a topic from its log start up to `until` (exclusive) into `apply`, batch
 * by batch, straight from the stored columns (no record objects). Returns how many records it
 * applied. A record the topic's codecs cannot read fails the restore: state must not be guessed.
 */
export async function replayPartition(
  topic: AnyTopic,
  partitionNumber: number,
  until: number,
  apply: (key: unknown, value: unknown, timestamp: number) => void,
): Promise<number> {
  const partition = topic.partition(partitionNumber)
  let offset = partition.logStartOffset
  const end = Math.min(until, partition.logEndOffset)
  let applied = 0
  while (offset < end) {
    const batches = await partition.readBatches(offset, RESTORE_READ_BYTES)
    if (batches.length === 0) break
    for (const batch of batches) {
      const keys = batch.keysIn(topic.keyCodec)
      const values = batch.valuesIn(topic.valueCodec)
      const failure = keys.failures?.values().next().value ?? values.failures?.values().next().value
      if (failure !== undefined) {
        throw new InvalidRecordError(
          `Cannot restore from ${topic.name}-${partitionNumber}: a record does not decode (${failure.message})`,
          { cause: failure },
        )
      }
      const timestamps = batch.timestamps
      const deltas = batch.offsetDeltas
      const at = batch.columnStart
      for (let i = batch.indexFrom(offset); i < batch.count; i++) {
        const recordOffset = batch.baseOffset + (deltas === null ? i : deltas[at + i]!)
        if (recordOffset < offset) continue
        if (recordOffset >= end) break
        apply(
          keys.items[keys.start + i],
          values.items[values.start + i],
          timestamps === null ? batch.firstTimestamp : timestamps[at + i]!,
        )
        applied++
      }
      offset = Math.max(offset, batch.nextOffset)
    }
  }
  return applied
}

/**
 * The same replay as a `read_committed` reader sees the partition (for exactly-once applications,
 * whose changelogs are written in transactions): records of aborted transactions and transaction
 * markers are skipped, and it stops at the last stable offset. A consumer reads it, from the columns
 * of what it fetches (its runs), with no record object either.
 */
export async function replayCommitted(
  bus: Bus<TopicDeclarations>,
  topic: AnyTopic,
  partitionNumber: number,
  until: number,
  apply: (key: unknown, value: unknown, timestamp: number) => void,
): Promise<number> {
  const partition = topic.partition(partitionNumber)
  if (until <= partition.logStartOffset || partition.logEndOffset === partition.logStartOffset) return 0
  const reader = bus.consumer({
    assign: [{ topic, partition: partitionNumber, offset: partition.logStartOffset }],
    isolation: 'read_committed',
    autoCommit: false,
    onFailure: 'crash',
    restartOnFailure: false,
  })
  let applied = 0
  let failure: Error | undefined
  const crashed = new AbortController()
  reader.on('crash', ({ error }) => {
    failure = error
    crashed.abort(error)
  })
  try {
    await reader.run({
      eachBatch: ({ runs }) => {
        for (const run of runs) {
          for (let i = run.from; i < run.to; i++) {
            if (run.offsetAt(i) >= until) return
            apply(run.keyAt(i), run.valueAt(i), run.timestampAt(i))
            applied++
          }
        }
      },
    })
    await reader.caughtUp({ signal: crashed.signal }).catch((error: unknown) => {
      if (failure === undefined) throw error
    })
  } finally {
    await reader.close()
  }
  if (failure !== undefined) throw failure
  return applied
}
