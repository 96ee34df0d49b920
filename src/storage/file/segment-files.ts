import { dirname } from 'node:path'
import type { LogbusError } from '../../errors'
import type { DescriptorCache } from './descriptor-cache'
import type { FileSystem } from './file-system'
import { toStorageError } from './fs-errors'
import { LOG_START_FILE } from './paths'
import { type PartitionState, type RecoveryContext, recoverSegments } from './recovery'
import { Segment, segmentBases } from './segment'
import { settleCleaning } from './segment-cleaning'

/** A partition directory, opened and recovered. */
export interface OpenedSegments {
  segments: Segment[]
  /** From the `log-start-offset` file, else the first segment's base offset. */
  start: number
  /** Directories whose new entries must be flushed before anything written into them is acknowledged. */
  newEntries: string[]
}

/**
 * Opens (creating it if needed) and recovers a partition directory (see `recoverSegments`). Says which
 * directories got new entries (a new partition directory, a new segment file), for the first flush to
 * make durable. On failure, every descriptor it opened is closed.
 *
 * @example
 * ```ts
 * const { segments, start } = openSegments(ctx, dir, clean)
 * ```
 */
export function openSegments(
  ctx: RecoveryContext,
  dir: string,
  clean: PartitionState | undefined,
): OpenedSegments {
  const { fs, files } = ctx
  const segments: Segment[] = []
  try {
    const createdDir = !fs.existsSync(dir)
    fs.mkdirSync(dir)
    let entries = fs.readdirSync(dir)
    if (settleCleaning(fs, dir, entries)) entries = fs.readdirSync(dir)
    const bases = segmentBases(entries)
    const start = readLogStart(fs, dir)
    const created = bases.length === 0
    if (created) bases.push(start ?? 0)
    for (const base of bases) {
      const segment = new Segment(dir, base)
      segments.push(segment)
      // Never O_APPEND: on Linux it makes positioned writes ignore their position.
      if (created) files.create(segment.file, 'w+')
    }
    recoverSegments(ctx, segments, clean)
    const newEntries = [...(created ? [dir] : []), ...(createdDir ? [dirname(dir)] : [])]
    return { segments, start: start ?? segments[0]!.baseOffset, newEntries }
  } catch (error) {
    for (const segment of segments) {
      try {
        files.close(segment.file)
      } catch {
        // Opening failed already; that error is the one to report.
      }
    }
    throw toStorageError(error, `Cannot open the log of ${ctx.topic}-${ctx.partition} in ${dir}`)
  }
}

/**
 * Writes `bytes` at the end of `segment`. A write that fails is cut back off the file, so that it
 * leaves nothing behind (a retriable StorageError when that worked); when even the cut fails, `broken`
 * is told (the file now holds bytes nobody wrote as a batch) and the error is not retriable.
 *
 * @example
 * ```ts
 * appendToSegment(fs, files, segment, bytes, (error) => log.fail(error))
 * ```
 */
export function appendToSegment(
  fs: FileSystem,
  files: DescriptorCache,
  segment: Segment,
  bytes: Buffer,
  broken: (error: LogbusError) => void,
): void {
  let written = 0
  try {
    const fd = files.fd(segment.file)
    while (written < bytes.length) {
      written += fs.writeSync(fd, bytes, written, bytes.length - written, segment.size + written)
    }
    segment.file.unsynced = true
  } catch (error) {
    let undone = true
    if (written > 0) {
      try {
        fs.ftruncateSync(files.fd(segment.file), segment.size)
      } catch (cause) {
        undone = false
        broken(toStorageError(cause, `Cannot cut a failed write off ${segment.logPath}`, false))
      }
    }
    throw toStorageError(error, `Cannot append to ${segment.logPath}`, undone ? undefined : false)
  }
}

/**
 * Ends `old` and starts a segment at `base`: `old` is flushed first when `flush` (so that a segment
 * other than the last is always complete on disk; when that fails, `broken` is told: the log must
 * stop) and its index written (rebuilt at the next open if that fails).
 *
 * @example
 * ```ts
 * const segment = rollSegment(fs, files, old, { dir, base: nextOffset, flush: true }, (error) => log.fail(error))
 * ```
 */
export function rollSegment(
  fs: FileSystem,
  files: DescriptorCache,
  old: Segment,
  { dir, base, flush }: { dir: string; base: number; flush: boolean },
  broken: (error: LogbusError) => void,
): Segment {
  if (flush && old.unsynced) {
    try {
      fs.fsyncSync(files.fd(old.file))
    } catch (error) {
      const failure = toStorageError(error, `Cannot flush ${old.logPath}`, false)
      broken(failure)
      throw failure
    }
    old.durableSize = old.size
    old.file.unsynced = false
  }
  try {
    old.writeIndex(fs)
  } catch {
    // Only an optimisation: the next open rebuilds a missing index.
  }
  const segment = new Segment(dir, base)
  try {
    files.create(segment.file, 'w+')
  } catch (error) {
    throw toStorageError(error, `Cannot create ${segment.logPath}`)
  }
  return segment
}

/**
 * Closes a log's segment files, writing the indexes that changed (an empty segment needs none).
 * Everything is closed whatever fails; the first failure is returned: an index that cannot be written
 * only costs a rebuild at the next open.
 *
 * @example
 * ```ts
 * const failure = closeSegments(fs, files, segments)
 * ```
 */
export function closeSegments(
  fs: FileSystem,
  files: DescriptorCache,
  segments: readonly Segment[],
  writeIndexes: boolean,
): LogbusError | undefined {
  let failure: LogbusError | undefined
  for (const segment of segments) {
    if (!writeIndexes || !segment.indexDirty || segment.size === 0) continue
    try {
      segment.writeIndex(fs)
    } catch (error) {
      failure ??= toStorageError(
        error,
        `Cannot write ${segment.indexPath} (the next open rebuilds it)`,
        false,
      )
    }
  }
  for (const segment of segments) {
    try {
      files.close(segment.file)
    } catch (error) {
      failure ??= toStorageError(error, `Cannot close ${segment.logPath}`)
    }
  }
  return failure
}

function readLogStart(fs: FileSystem, dir: string): number | undefined {
  try {
    const value = Number(fs.readFileSync(`${dir}/${LOG_START_FILE}`).toString('utf8'))
    return Number.isSafeInteger(value) && value >= 0 ? value : undefined
  } catch {
    return undefined
  }
}
