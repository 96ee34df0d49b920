import { compress, RecordBatch } from '../../src/index'
import { RAW } from '../../src/record/codec'
import { crc32c } from '../../src/record/v2/crc32c'
import { encodeBatch } from '../../src/record/v2/encode'

/** What a client's producer puts in a batch. */
export interface ClientBatch {
  values: Array<string | null>
  keys?: Array<string | null>
  timestamp?: number
  producerId?: number
  producerEpoch?: number
  baseSequence?: number
  transactional?: boolean
  /** Kafka's codec id (1 gzip, 2 snappy, 3 lz4, 4 zstd). */
  compression?: number
}

/**
 * A RecordBatch v2 as a Kafka client sends it in a Produce request: base offset 0, leader epoch -1,
 * records optionally compressed.
 */
export async function clientBatch(spec: ClientBatch): Promise<Buffer> {
  const count = spec.values.length
  const timestamp = spec.timestamp ?? 1_700_000_000_000
  const batch = RecordBatch.fromColumns(
    { keyCodec: RAW, valueCodec: RAW },
    {
      keys: (spec.keys ?? spec.values.map(() => null)).map((k) => (k === null ? null : Buffer.from(k))),
      values: spec.values.map((v) => (v === null ? null : Buffer.from(v))),
      headers: null,
      timestamps: null,
      offsetDeltas: null,
      start: 0,
    },
    {
      count,
      firstTimestamp: timestamp,
      maxTimestamp: timestamp,
      sizeBytes: 0,
      producerId: spec.producerId ?? -1,
      producerEpoch: spec.producerEpoch ?? -1,
      baseSequence: spec.baseSequence ?? -1,
      transactional: spec.transactional ?? false,
    },
  )
  let bytes = encodeBatch(batch, 0)
  if (spec.compression !== undefined && spec.compression !== 0) {
    const records = await compress(spec.compression, bytes.subarray(61))
    const out = Buffer.concat([bytes.subarray(0, 61), records])
    out.writeInt32BE(out.length - 12, 8)
    out.writeInt16BE(out.readInt16BE(21) | spec.compression, 21)
    out.writeUInt32BE(crc32c(out, 21, out.length), 17)
    bytes = out
  }
  bytes.writeInt32BE(-1, 12)
  return bytes
}
