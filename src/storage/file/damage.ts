import type { DescriptorCache } from './descriptor-cache'
import { type FileSystem, fsyncDirectory } from './file-system'
import { type Segment, segmentName } from './segment'
import { readFully } from './segment-scan'

/**
 * Where damage is in a log: by file and byte, and by offset.
 *
 * @example
 * ```ts
 * const where = (d: DamagePlace) => `${d.topic}-${d.partition}@${d.offset} (${d.file}:${d.position})`
 * ```
 */
export interface DamagePlace {
  topic: string
  partition: number
  /** The segment file. */
  file: string
  /** Byte position of the damage in `file`. */
  position: number
  /** How many bytes it covers. */
  length: number
  /** The first offset that cannot be read. */
  offset: number
  /** One past the last offset it covers; null when nothing valid follows it. */
  endOffset: number | null
  reason: string
}

/**
 * Damage found in a partition's log: bytes where a valid batch must be and is not. JSON-serialisable,
 * for logs, alerts and the verify/repair tools.
 *
 * - `action: 'kept'`: valid batches follow the damage; it stays in place, reads of `offset` up to
 *   `endOffset` throw CorruptLogError naming the offset, the batches around it stay readable, and
 *   `repairLog` can cut the log there or skip the damaged batches.
 * - `action: 'set-aside'`: the damage was the end of the log after an unclean shutdown (a complete
 *   batch with a bad CRC, not the short batch a crash leaves): its bytes were moved to `damagedFile`
 *   and cut off the log, which goes on from `offset`.
 *
 * @example
 * ```ts
 * const storage = new FileStorage({
 *   dir: './data',
 *   onDamage: (damage: LogDamage) => alert(`${damage.topic}-${damage.partition}@${damage.offset}: ${damage.reason}`),
 * })
 * ```
 */
export interface LogDamage extends DamagePlace {
  action: 'kept' | 'set-aside'
  /** Where the bytes were moved with `action: 'set-aside'`. */
  damagedFile: string | null
}

/**
 * What FileStorage calls for each damage it finds (the default logs a process warning).
 *
 * @example
 * ```ts
 * const onDamage: DamageListener = (damage) => logger.error(damage, 'logbus found a damaged log')
 * ```
 */
export type DamageListener = (damage: LogDamage) => void

/**
 * The default damage listener: a process warning (printed on stderr unless the process handles
 * warnings), with code `LOGBUS_LOG_DAMAGE`.
 *
 * @example
 * ```ts
 * new FileStorage({ dir, onDamage: (damage) => { metrics.increment('damage'); warnDamage(damage) } })
 * ```
 */
export function warnDamage(damage: LogDamage): void {
  process.emitWarning(describeDamage(damage), { code: 'LOGBUS_LOG_DAMAGE' })
}

/**
 * One line saying what is damaged, where, and what was done.
 *
 * @example
 * ```ts
 * console.error(describeDamage(damage))
 * ```
 */
export function describeDamage(d: LogDamage): string {
  const offsets = d.endOffset === null ? `offset ${d.offset} on` : `offsets ${d.offset}..${d.endOffset - 1}`
  const what =
    d.action === 'kept'
      ? 'left in place: reads there fail with CorruptLogError until repairLog() runs'
      : `moved to ${d.damagedFile} and cut off the log`
  return `Damaged log ${d.topic}-${d.partition}: ${offsets} at byte ${d.position} of ${d.file} (${d.length} bytes): ${d.reason}; ${what}`
}

/**
 * Copies bytes `[position, end)` of a segment to a new `<segment>.log.<position>.damaged` file next to
 * it, durably, before the caller cuts them off the log: damage is never silently destroyed.
 */
export function setAside(
  fs: FileSystem,
  files: DescriptorCache,
  segment: Segment,
  position: number,
  end: number,
): string {
  let path = `${segment.dir}/${segmentName(segment.baseOffset)}.log.${position}.damaged`
  for (let n = 2; fs.existsSync(path); n++) {
    path = `${segment.dir}/${segmentName(segment.baseOffset)}.log.${position}-${n}.damaged`
  }
  const chunk = Buffer.allocUnsafe(Math.min(end - position, 1 << 20))
  const fd = fs.openSync(path, 'wx')
  try {
    for (let at = position; at < end; ) {
      const read = readFully(fs, files, segment, chunk, Math.min(chunk.length, end - at), at)
      if (read === 0) break
      for (let written = 0; written < read; )
        written += fs.writeSync(fd, chunk, written, read - written, at - position + written)
      at += read
    }
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
  fsyncDirectory(fs, segment.dir)
  return path
}
