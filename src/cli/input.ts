import { createReadStream } from 'node:fs'
import type { Readable } from 'node:stream'

const READ_BYTES = 4 << 20

/** The chunks of a file (`path`) or of stdin (`-` or no path), read in large pieces. */
export function inputChunks(path: string | undefined, stdin: Readable): AsyncIterable<Buffer> {
  if (path === undefined || path === '-') return stdin as AsyncIterable<Buffer>
  return createReadStream(path, { highWaterMark: READ_BYTES }) as AsyncIterable<Buffer>
}

/**
 * Splits chunks into lines (`\n` ends a line; the bytes are kept as they are, `\r` included) and hands
 * them to `onLines` a chunk's worth at a time. A last line without a newline counts as a line. Lines
 * are views of the chunks (only a line split across two chunks is copied): nothing overwrites them.
 */
export async function forEachLines(
  chunks: AsyncIterable<Buffer>,
  onLines: (lines: Buffer[]) => Promise<void> | void,
): Promise<void> {
  let carry: Buffer | undefined
  for await (const chunk of chunks) {
    const lines: Buffer[] = []
    let from = 0
    let nl = chunk.indexOf(10)
    if (carry !== undefined && nl !== -1) {
      lines.push(Buffer.concat([carry, chunk.subarray(0, nl)]))
      carry = undefined
      from = nl + 1
      nl = chunk.indexOf(10, from)
    }
    for (; nl !== -1; nl = chunk.indexOf(10, from)) {
      lines.push(chunk.subarray(from, nl))
      from = nl + 1
    }
    if (from < chunk.length)
      carry = carry === undefined ? chunk.subarray(from) : Buffer.concat([carry, chunk])
    if (lines.length > 0) {
      const pending = onLines(lines)
      if (pending !== undefined) await pending
    }
  }
  if (carry !== undefined) await onLines([carry])
}
