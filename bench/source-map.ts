/**
 * The benchmarks run the built package (dist/); profiles name functions by the source file and line
 * that dist's source maps give.
 */
import { existsSync, readFileSync } from 'node:fs'
import { SourceMap } from 'node:module'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
  columnNumber?: number
}

const sourceMaps = new Map<string, SourceMap | undefined>()

/**
 * The benchmarks run the built package: a frame in dist/ is named by the source file and line its
 * source map gives, so that areas and functions read as src/….
 */
export function toSource<F extends CallFrame>(frame: F): F {
  const file = frame.url.startsWith('file://') ? fileURLToPath(frame.url) : frame.url
  if (!file.includes('/dist/') || frame.lineNumber < 0) return frame
  let map = sourceMaps.get(file)
  if (!sourceMaps.has(file)) {
    map = existsSync(`${file}.map`)
      ? new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')))
      : undefined
    sourceMaps.set(file, map)
  }
  const entry = map?.findEntry(frame.lineNumber, frame.columnNumber ?? 0)
  if (entry === undefined || !('originalSource' in entry)) return frame
  return {
    ...frame,
    url: resolve(dirname(file), entry.originalSource),
    lineNumber: entry.originalLine,
  }
}
