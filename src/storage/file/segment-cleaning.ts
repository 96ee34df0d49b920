import type { RecordBatch } from '../../record/record-batch'
import { encodeBatch } from '../../record/v2/encode'
import type { DescriptorCache } from './descriptor-cache'
import { type FileSystem, fsyncDirectory, isCode } from './file-system'
import type { Segment } from './segment'

/** Kafka's suffix of a segment the cleaner is writing: deleted at open (the old segment stands). */
export const CLEANED_SUFFIX = '.cleaned'
/** Kafka's suffix of a complete cleaned segment about to replace the old one: finished at open. */
export const SWAP_SUFFIX = '.swap'

/**
 * Writes the batches compaction made of `segment` to `<segment>.log.cleaned` and flushes it (unless
 * `flush` is false: fsync 'never'). Unchanged batches keep their bytes; rebuilt ones are encoded here,
 * at their own base offsets. Returns where each batch went, for the segment's new index.
 */
export function writeCleaned(
  fs: FileSystem,
  segment: Segment,
  batches: readonly RecordBatch[],
  flush: boolean,
): Array<{ position: number; size: number; batch: RecordBatch }> {
  const path = segment.logPath + CLEANED_SUFFIX
  const placed: Array<{ position: number; size: number; batch: RecordBatch }> = []
  const fd = fs.openSync(path, 'w')
  try {
    let position = 0
    for (const batch of batches) {
      const bytes = batch.encoded ?? encodeBatch(batch, batch.baseOffset)
      let written = 0
      while (written < bytes.length)
        written += fs.writeSync(fd, bytes, written, bytes.length - written, position + written)
      placed.push({ position, size: bytes.length, batch })
      position += bytes.length
    }
    if (flush) fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
  return placed
}

/**
 * Replaces a segment's `.log` with its cleaned copy, as Kafka does: the copy is renamed to `.swap`
 * (from then on it is the one that counts: an open that finds it finishes the swap), the old index is
 * deleted (its positions are the old file's), and `.swap` is renamed over `.log` — one atomic rename,
 * so a crash at any point leaves the old segment or the new one, never neither. The segment's
 * descriptor is closed first: the next read opens the new file.
 */
export function swapIn(fs: FileSystem, files: DescriptorCache, segment: Segment, flush: boolean): void {
  const swap = segment.logPath + SWAP_SUFFIX
  fs.renameSync(segment.logPath + CLEANED_SUFFIX, swap)
  if (flush) fsyncDirectory(fs, segment.dir)
  files.close(segment.file)
  unlinkIfPresent(fs, segment.indexPath)
  fs.renameSync(swap, segment.logPath)
  if (flush) fsyncDirectory(fs, segment.dir)
}

/**
 * What a crash in the middle of compaction leaves in a partition directory, settled before the
 * segments are opened: a `.cleaned` file was never complete, and goes; a `.swap` file was complete
 * (flushed before it got that name), and replaces its segment, whose index goes with the old file.
 */
export function settleCleaning(fs: FileSystem, dir: string, entries: readonly string[]): boolean {
  let changed = false
  for (const name of entries) {
    if (name.endsWith(CLEANED_SUFFIX)) {
      unlinkIfPresent(fs, `${dir}/${name}`)
      changed = true
    } else if (name.endsWith(SWAP_SUFFIX)) {
      const log = name.slice(0, -SWAP_SUFFIX.length)
      unlinkIfPresent(fs, `${dir}/${log.replace(/\.log$/, '.index')}`)
      fs.renameSync(`${dir}/${name}`, `${dir}/${log}`)
      changed = true
    }
  }
  if (changed) fsyncDirectory(fs, dir)
  return changed
}

function unlinkIfPresent(fs: FileSystem, path: string): void {
  try {
    fs.unlinkSync(path)
  } catch (error) {
    if (!isCode(error, 'ENOENT')) throw error
  }
}
