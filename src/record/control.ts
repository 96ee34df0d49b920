import { RAW } from './codec'
import { RecordBatch } from './record-batch'

/**
 * Kafka's control record types: the marker a transaction coordinator writes to every partition of a
 * transaction when it ends.
 *
 * @example
 * ```ts
 * if (controlType(batch) === ControlType.Commit) console.log('committed')
 * ```
 */
export const ControlType = { Abort: 0, Commit: 1 } as const

/**
 * A control record type.
 *
 * @example
 * ```ts
 * const type: ControlType = ControlType.Abort
 * ```
 */
export type ControlType = (typeof ControlType)[keyof typeof ControlType]

/**
 * A transaction marker as Kafka writes it: a control batch (transactional, attributes bit 5) holding
 * one record whose key is `[version int16 = 0, type int16]` and whose value is
 * `[version int16 = 0, coordinatorEpoch int32]`.
 *
 * @example
 * ```ts
 * await partition.append(controlBatch(ControlType.Commit, producerId, epoch, Date.now()))
 * ```
 */
export function controlBatch(
  type: ControlType,
  producerId: number,
  producerEpoch: number,
  timestamp: number,
): RecordBatch {
  const key = Buffer.alloc(4)
  key.writeInt16BE(0, 0)
  key.writeInt16BE(type, 2)
  const value = Buffer.alloc(6)
  value.writeInt16BE(0, 0)
  value.writeInt32BE(0, 2)
  return RecordBatch.fromColumns(
    { keyCodec: RAW, valueCodec: RAW },
    { keys: [key], values: [value], headers: null, timestamps: null, offsetDeltas: null, start: 0 },
    {
      count: 1,
      firstTimestamp: timestamp,
      maxTimestamp: timestamp,
      sizeBytes: 26,
      producerId,
      producerEpoch,
      baseSequence: -1,
      transactional: true,
      control: true,
    },
  )
}

/**
 * The type of a control batch's marker (-1 for a batch that is not one, or an unknown marker).
 *
 * @example
 * ```ts
 * const committed = controlType(batch) === ControlType.Commit
 * ```
 */
export function controlType(batch: RecordBatch): number {
  if (!batch.control || batch.count === 0) return -1
  const key = batch.keys[batch.columnStart]
  if (!(key instanceof Uint8Array) || key.length < 4) return -1
  return (key[2]! << 8) | key[3]!
}
