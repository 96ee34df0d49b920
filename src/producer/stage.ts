import { InvalidRecordError, LogbusError, RecordTooLargeError, UnknownTopicError } from '../errors'
import type { Codec } from '../record/codec'
import { describeType } from '../record/codec'
import type { RecordHeaders } from '../record/log-record'
import { EMPTY_HEADERS } from '../record/log-record'
import { type Message, toRecordHeaders } from '../record/message'
import { keylessRecord } from '../topic/partition-core'
import type { Topic } from '../topic/topic'
import { compacts } from '../topic/topic-options'

/**
 * Kafka's per-record overhead in a RecordBatch v2 is a handful of varints; 16 bytes is a fair upper
 * estimate for small records and keeps byte budgets close to what the file log will use.
 */
const RECORD_OVERHEAD_BYTES = 16

/** Chooses a partition for a record sent without an explicit one. */
export type PartitionChooser = (
  topic: Topic<unknown, unknown, unknown, unknown>,
  key: unknown,
  value: unknown,
) => number

/**
 * Messages of one send, checked and in their topic's form, as columns: what the batches take. A
 * producer stages a whole send here before it enqueues any of it (all or nothing), and reuses the
 * columns for the next send.
 */
export class Staging {
  readonly partitions: number[] = []
  readonly keys: unknown[] = []
  readonly values: unknown[] = []
  readonly headers: RecordHeaders[] = []
  readonly timestamps: number[] = []
  readonly sizes: number[] = []
  count = 0
  bytes = 0

  reset(): void {
    this.count = 0
    this.bytes = 0
  }

  /** A copy that outlives the next send (for a send that waits for buffer space). */
  detach(): Staging {
    const copy = new Staging()
    const n = this.count
    for (let i = 0; i < n; i++) {
      copy.partitions.push(this.partitions[i]!)
      copy.keys.push(this.keys[i])
      copy.values.push(this.values[i])
      copy.headers.push(this.headers[i]!)
      copy.timestamps.push(this.timestamps[i]!)
      copy.sizes.push(this.sizes[i]!)
    }
    copy.count = n
    copy.bytes = this.bytes
    return copy
  }
}

/**
 * Checks one message and stages it as the record its topic keeps — the codecs parse key and value
 * once, here — at the next index of `staging`, or throws without staging anything.
 */
export function stageMessage(
  topic: Topic<unknown, unknown, unknown, unknown>,
  message: Message<unknown, unknown>,
  now: number,
  choosePartition: PartitionChooser,
  staging: Staging,
): void {
  if (message === null || typeof message !== 'object') {
    throw new InvalidRecordError(`A message must be an object with a value, got ${describeType(message)}`)
  }
  const rawKey = message.key
  const rawValue = message.value
  if (rawValue === undefined) {
    throw new InvalidRecordError('message.value is required (use null for a tombstone)')
  }
  const keyCodec = topic.keyCodec
  const valueCodec = topic.valueCodec
  const key = rawKey === undefined || rawKey === null ? null : parseWith(topic, keyCodec, rawKey, 'key')
  if (key === null && compacts(topic.entry.config)) throw keylessRecord(topic.name)
  let value: unknown = null
  if (rawValue !== null) value = parseWith(topic, valueCodec, rawValue, 'value')
  else if (!valueCodec.nullable) {
    throw new InvalidRecordError(
      `value must not be null: the value codec "${valueCodec.name}" of topic "${topic.name}" has no null (wrap it in nullable())`,
    )
  }
  let headers = EMPTY_HEADERS
  let size = RECORD_OVERHEAD_BYTES
  if (message.headers !== undefined) {
    const converted = toRecordHeaders(message.headers)
    headers = converted.headers
    size += converted.bytes
  }

  const partitionCount = topic.entry.partitions.length
  let partition: number
  if (message.partition === undefined) {
    partition = choosePartition(topic, key, value)
  } else {
    partition = message.partition
    if (!Number.isInteger(partition) || partition < 0) {
      throw new InvalidRecordError(`partition must be a non-negative integer, got ${String(partition)}`)
    }
  }
  if (partition >= partitionCount) throw new UnknownTopicError(topic.name, partition)

  let timestamp = now
  if (message.timestamp !== undefined) {
    timestamp = message.timestamp
    if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
      throw new InvalidRecordError(`timestamp must be a non-negative integer (ms), got ${String(timestamp)}`)
    }
  }
  if (key !== null) size += keyCodec.sizeOf(key)
  if (value !== null) size += valueCodec.sizeOf(value)
  const limit = topic.entry.config.maxMessageBytes
  if (size > limit) throw new RecordTooLargeError(topic.name, size, limit)
  const i = staging.count++
  staging.partitions[i] = partition
  staging.keys[i] = key
  staging.values[i] = value
  staging.headers[i] = headers
  staging.timestamps[i] = timestamp
  staging.sizes[i] = size
  staging.bytes += size
}

function parseWith(
  topic: Topic<unknown, unknown, unknown, unknown>,
  codec: Codec<unknown, unknown>,
  input: unknown,
  field: 'key' | 'value',
): unknown {
  try {
    return codec.parse(input)
  } catch (error) {
    if (error instanceof LogbusError && !(error instanceof InvalidRecordError)) throw error
    if (error instanceof InvalidRecordError) {
      // The built-in codecs say what a value "must be"; the field names itself here.
      if (error.message.startsWith('must ')) throw new InvalidRecordError(`${field} ${error.message}`)
      throw error
    }
    throw new InvalidRecordError(
      `Codec "${codec.name}" of topic "${topic.name}" rejected the ${field}: ${
        error instanceof Error ? error.message : String(error)
      }`,
      { cause: error },
    )
  }
}
