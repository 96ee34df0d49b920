import { COMPRESSION_MASK, CONTROL_FLAG, TRANSACTIONAL_FLAG } from '../../record/v2/layout'
import type { DamagePlace } from './damage'
import type { DescriptorCache } from './descriptor-cache'
import type { FileSystem } from './file-system'
import { LOG_START_FILE, META_DIR, OFFSETS_DIR, OFFSETS_TOPIC } from './paths'
import { Segment, segmentBases } from './segment'
import { scanSegment } from './segment-scan'

/**
 * One batch of a log, as `verifyLog` reports it (what `kafka-dump-log` prints of a batch).
 *
 * @example
 * ```ts
 * await verifyLog({ dir, onBatch: (b: BatchReport) => console.log(b.baseOffset, b.lastOffset, b.count) })
 * ```
 */
export interface BatchReport {
  topic: string
  partition: number
  file: string
  position: number
  size: number
  baseOffset: number
  lastOffset: number
  count: number
  baseTimestamp: number
  maxTimestamp: number
  crc: number
  compression: number
  producerId: number
  producerEpoch: number
  baseSequence: number
  transactional: boolean
  control: boolean
}

/**
 * Damage in a log, by offset and byte position. `kind: 'torn-tail'` is what a crash leaves at the end
 * of the log (a batch cut short): the next open cuts it off, and it holds nothing that was
 * acknowledged under fsync 'always'. `kind: 'corrupt'` is anything else: a batch that fails its CRC or
 * its offsets where a valid one must be, or offsets missing between segments.
 *
 * @example
 * ```ts
 * for (const d of report.damage) console.log(`${d.topic}-${d.partition}@${d.offset}: ${d.reason}`)
 * ```
 */
export interface DamageReport extends DamagePlace {
  kind: 'torn-tail' | 'corrupt'
}

/** A partition directory, scanned: its segments (index, damage and all) and the damage found. */
export interface InspectedPartition {
  topic: string
  partition: number
  dir: string
  segments: Segment[]
  /** Size of each segment file on disk. */
  sizes: number[]
  logStartOffset: number
  /** One past the last offset of the last valid batch. */
  logEndOffset: number
  batches: number
  records: number
  damage: DamageReport[]
  /** Files set aside next to the segments (`.damaged`, `.cut`). */
  setAside: string[]
}

/** A partition directory of the storage: its path, topic and partition. */
export interface PartitionDir {
  dir: string
  topic: string
  partition: number
}

/**
 * The partition directories under a storage directory, the offsets log included, in name order.
 *
 * @example
 * ```ts
 * for (const { dir, topic, partition } of partitionDirs(fs, './data')) console.log(topic, partition)
 * ```
 */
export function partitionDirs(fs: FileSystem, root: string): PartitionDir[] {
  const out: PartitionDir[] = []
  for (const entry of fs.readdirSync(root).sort()) {
    const match = /^(.*)-(\d+)$/.exec(entry)
    if (match === null || entry === META_DIR) continue
    out.push({ dir: `${root}/${entry}`, topic: match[1]!, partition: Number(match[2]) })
  }
  const offsets = `${root}/${META_DIR}/${OFFSETS_DIR}`
  if (fs.existsSync(offsets)) out.push({ dir: offsets, topic: OFFSETS_TOPIC, partition: 0 })
  return out
}

/**
 * Scans every segment of a partition directory, CRCs included, going on past damage, and says what it
 * holds and where it is damaged. Reads only: nothing is changed.
 */
export function inspectPartition(
  fs: FileSystem,
  files: DescriptorCache,
  { dir, topic, partition }: PartitionDir,
  onBatch?: (batch: BatchReport) => void,
  onSegment?: (segment: Segment, size: number) => void,
): InspectedPartition {
  const entries = fs.readdirSync(dir)
  const segments = segmentBases(entries).map((base) => new Segment(dir, base, 'r'))
  const sizes: number[] = []
  let batches = 0
  let records = 0
  try {
    for (const segment of segments) {
      const size = fs.fstatSize(files.fd(segment.file))
      sizes.push(size)
      scanSegment(fs, files, segment, size, {
        verifyCrc: true,
        resync: true,
        onBatch: ({ position, size: bytes, header }) => {
          batches++
          records += header.recordCount
          onBatch?.({
            topic,
            partition,
            file: segment.logPath,
            position,
            size: bytes,
            baseOffset: header.baseOffset,
            lastOffset: header.baseOffset + header.lastOffsetDelta,
            count: header.recordCount,
            baseTimestamp: header.baseTimestamp,
            maxTimestamp: header.maxTimestamp,
            crc: header.crc,
            compression: header.attributes & COMPRESSION_MASK,
            producerId: header.producerId,
            producerEpoch: header.producerEpoch,
            baseSequence: header.baseSequence,
            transactional: (header.attributes & TRANSACTIONAL_FLAG) !== 0,
            control: (header.attributes & CONTROL_FLAG) !== 0,
          })
        },
      })
      files.close(segment.file)
      onSegment?.(segment, size)
    }
  } finally {
    for (const segment of segments) files.close(segment.file)
  }
  const damage = damageOf(topic, partition, segments)
  let logStartOffset = segments[0]?.baseOffset ?? 0
  try {
    const start = Number(fs.readFileSync(`${dir}/${LOG_START_FILE}`).toString('utf8'))
    if (Number.isSafeInteger(start) && start > logStartOffset) logStartOffset = start
  } catch {
    // No log-start file: the log starts at its first segment.
  }
  const logEndOffset = segments.at(-1)?.nextOffset ?? logStartOffset
  const setAside = entries
    .filter((name) => name.endsWith('.damaged') || name.endsWith('.cut'))
    .map((n) => `${dir}/${n}`)
  return {
    topic,
    partition,
    dir,
    segments,
    sizes,
    logStartOffset,
    logEndOffset,
    batches,
    records,
    damage,
    setAside,
  }
}

/**
 * The damage of scanned segments, in offset order: each damaged range, and offsets missing between
 * one segment's end and the next one's base offset (or segments that overlap).
 */
function damageOf(topic: string, partition: number, segments: readonly Segment[]): DamageReport[] {
  const out: DamageReport[] = []
  segments.forEach((segment, i) => {
    const next = segments[i + 1]
    const last = next === undefined
    for (const range of segment.damaged) {
      const trailing = range.toOffset === null
      out.push({
        topic,
        partition,
        file: segment.logPath,
        position: range.position,
        length: range.end - range.position,
        offset: range.fromOffset,
        endOffset: range.toOffset ?? next?.baseOffset ?? null,
        reason: range.reason,
        kind: last && trailing && range.torn ? 'torn-tail' : 'corrupt',
      })
    }
    const endsDamaged = segment.damaged.at(-1)?.toOffset === null
    if (next === undefined || endsDamaged || segment.nextOffset === next.baseOffset) return
    out.push({
      topic,
      partition,
      file: segment.logPath,
      position: segment.size,
      length: 0,
      offset: Math.min(segment.nextOffset, next.baseOffset),
      endOffset: Math.max(segment.nextOffset, next.baseOffset),
      reason:
        segment.nextOffset < next.baseOffset
          ? `offsets ${segment.nextOffset}..${next.baseOffset - 1} are missing: the segment ends before the next one starts`
          : `the next segment starts at offset ${next.baseOffset}, inside this one, which ends at ${segment.nextOffset}`,
      kind: 'corrupt',
    })
  })
  return out
}
