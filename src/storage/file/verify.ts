import { LogbusError } from '../../errors'
import { DescriptorCache } from './descriptor-cache'
import { type FileSystem, nodeFileSystem } from './file-system'
import { codeOf, toStorageError } from './fs-errors'
import {
  type BatchReport,
  type DamageReport,
  type InspectedPartition,
  inspectPartition,
  partitionDirs,
} from './inspect'
import { acquireLock } from './lock'

/**
 * Where a verification or repair stands, after each segment: for a progress bar.
 *
 * @example
 * ```ts
 * onProgress: (p: VerifyProgress) => console.error(`${p.partitionsDone}/${p.partitionsTotal} ${p.file}`)
 * ```
 */
export interface VerifyProgress {
  topic: string
  partition: number
  /** The segment just checked. */
  file: string
  /** Partitions checked entirely, and in all. */
  partitionsDone: number
  partitionsTotal: number
  /** Bytes of segments checked so far, over every partition. */
  bytesChecked: number
}

/**
 * One partition, verified.
 *
 * @example
 * ```ts
 * for (const p of report.partitions) console.log(p.topic, p.partition, p.logEndOffset, p.damage.length)
 * ```
 */
export interface PartitionReport {
  topic: string
  partition: number
  dir: string
  logStartOffset: number
  /** One past the last offset of the last valid batch. */
  logEndOffset: number
  segments: number
  batches: number
  records: number
  bytes: number
  damage: DamageReport[]
  /** Bytes set aside earlier (`.damaged`: damage found at an open or by repairLog; `.cut`: cut by repairLog). */
  setAside: string[]
}

/**
 * What `verifyLog` found. `ok` when no partition holds corrupt data (a torn tail is fine: the next
 * open cuts it off). Plain data: `JSON.stringify(report)` is the machine-readable report.
 *
 * @example
 * ```ts
 * const report = await verifyLog({ dir: './data' })
 * if (!report.ok) console.error(JSON.stringify(report.damage, null, 2))
 * ```
 */
export interface VerifyReport {
  dir: string
  ok: boolean
  partitions: PartitionReport[]
  /** Every partition's damage, in one list. */
  damage: DamageReport[]
}

/**
 * Options of `verifyLog`.
 *
 * @example
 * ```ts
 * const options: VerifyOptions = { dir: './data', onProgress: (p) => console.error(p.file) }
 * ```
 */
export interface VerifyOptions extends LogToolOptions {
  /** Called for every valid batch, in order (what `kafka-dump-log` prints). */
  onBatch?: (batch: BatchReport) => void
}

/**
 * What `verifyLog` and `repairLog` both take.
 *
 * @example
 * ```ts
 * const common: LogToolOptions = { dir: './data', onProgress: (p) => console.error(p.file) }
 * ```
 */
export interface LogToolOptions {
  /** The directory a FileStorage owns. No bus may have it open: the tool takes its lock. */
  dir: string
  /** Called after each segment is checked. */
  onProgress?: (progress: VerifyProgress) => void
  /** Takes the lock over from an owner that may be alive (see FileStorage's `breakLock`). */
  breakLock?: boolean
  /** The file operations to use. Default: Node's `fs`. */
  fs?: FileSystem
}

/**
 * Checks every batch of every partition of a FileStorage directory (the group offsets log included)
 * — CRC, framing, and that offsets follow on — going on past damage, and reports it all: per
 * partition, its offsets, counts and damage by offset (file, byte position, length, reason). Like
 * Kafka's `kafka-dump-log --deep-iteration`. It changes nothing; on a read-only file system it runs
 * without taking the lock. `repairLog` fixes what it reports.
 *
 * @throws LockedError if a bus has the directory open; StorageError if it cannot be read
 *
 * @example
 * ```ts
 * import { verifyLog } from 'logbus/file'
 * const report = await verifyLog({ dir: './data' })
 * for (const d of report.damage) console.log(`${d.topic}-${d.partition} offset ${d.offset}: ${d.reason} (${d.file}@${d.position})`)
 * ```
 */
export async function verifyLog(options: VerifyOptions): Promise<VerifyReport> {
  const fs = options.fs ?? nodeFileSystem
  const dir = options.dir.replace(/\/+$/, '') || '/'
  const release = lockForReading(fs, dir, options.breakLock ?? false)
  try {
    const partitions = inspectAll(fs, dir, options)
    const reports = partitions.map(toReport)
    const damage = reports.flatMap((p) => p.damage)
    return { dir, ok: damage.every((d) => d.kind === 'torn-tail'), partitions: reports, damage }
  } catch (error) {
    throw toStorageError(error, `Cannot verify ${dir}`)
  } finally {
    release()
  }
}

/**
 * Scans every partition of `dir`, reporting progress after each segment.
 *
 * @example
 * ```ts
 * const partitions = inspectAll(nodeFileSystem, dir, { onProgress })
 * ```
 */
export function inspectAll(
  fs: FileSystem,
  dir: string,
  options: Pick<VerifyOptions, 'onProgress' | 'onBatch'>,
): InspectedPartition[] {
  const files = new DescriptorCache(fs, 16)
  const dirs = partitionDirs(fs, dir)
  let bytesChecked = 0
  return dirs.map((partition, done) =>
    inspectPartition(fs, files, partition, options.onBatch, (segment, size) => {
      bytesChecked += size
      options.onProgress?.({
        topic: partition.topic,
        partition: partition.partition,
        file: segment.logPath,
        partitionsDone: done,
        partitionsTotal: dirs.length,
        bytesChecked,
      })
    }),
  )
}

function toReport(p: InspectedPartition): PartitionReport {
  return {
    topic: p.topic,
    partition: p.partition,
    dir: p.dir,
    logStartOffset: p.logStartOffset,
    logEndOffset: p.logEndOffset,
    segments: p.segments.length,
    batches: p.batches,
    records: p.records,
    bytes: p.sizes.reduce((a, b) => a + b, 0),
    damage: p.damage,
    setAside: p.setAside,
  }
}

/** The directory's lock, for reading: on a read-only file system there is no writer to keep out. */
function lockForReading(fs: FileSystem, dir: string, breakLock: boolean): () => void {
  try {
    return acquireLock(fs, dir, { breakLock })
  } catch (error) {
    const cause = error instanceof LogbusError ? error.cause : error
    if (codeOf(cause) === 'EROFS' || codeOf(cause) === 'EACCES') return () => {}
    throw error
  }
}
