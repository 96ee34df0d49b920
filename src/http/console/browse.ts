import type { LogRecord, Partition } from '../../index'
import type { BytesTopic } from '../rest/embedded-data'

/** What the console's message browser asks for. */
export interface BrowseQuery {
  partition: number | undefined
  /** From an offset, from a time, or the newest records first. */
  mode: 'offset' | 'timestamp' | 'newest'
  offset: number
  timestamp: number
  limit: number
  /** Text that the key, the value, or a header (`name` or `name=value`) must contain. */
  key: string
  value: string
  header: string
}

/** A record as the browser gets it: bytes in base64, rendered there as text, JSON or hex. */
export interface WireRecord {
  partition: number
  offset: number
  timestamp: number
  key: string | null
  value: string | null
  headers: Array<[string, string]>
}

/** Records looked at per partition and request at most: a search over a huge log stops, and says so. */
const SCAN_LIMIT = 50_000
const WINDOW = 1_000

type BytesRecord = LogRecord<Buffer | null, Buffer | null>
type BytesPartition = Partition<Buffer | null, Buffer | null>

export function toWire(record: BytesRecord): WireRecord {
  const headers: Array<[string, string]> = []
  for (const [name, value] of Object.entries(record.headers)) {
    for (const v of Array.isArray(value) ? value : [value])
      headers.push([name, (v as Buffer).toString('base64')])
  }
  return {
    partition: record.partition,
    offset: record.offset,
    timestamp: record.timestamp,
    key: record.key === null ? null : record.key.toString('base64'),
    value: record.value === null ? null : record.value.toString('base64'),
    headers,
  }
}

function matcher(query: BrowseQuery): (record: BytesRecord) => boolean {
  const { key, value, header } = query
  if (key === '' && value === '' && header === '') return () => true
  const [headerName, headerValue] = header.includes('=') ? header.split(/=(.*)/s) : [header, undefined]
  return (record) => {
    if (key !== '' && !(record.key?.toString('utf8').includes(key) ?? false)) return false
    if (value !== '' && !(record.value?.toString('utf8').includes(value) ?? false)) return false
    if (header !== '') {
      const found = Object.entries(record.headers).some(
        ([name, v]) =>
          name.includes(headerName!) &&
          (headerValue === undefined ||
            (Array.isArray(v) ? v : [v]).some((b: Buffer) => b.toString('utf8').includes(headerValue))),
      )
      if (!found) return false
    }
    return true
  }
}

/** The records of `[from, to)` of a partition, read batch by batch. */
async function readRange(partition: BytesPartition, from: number, to: number): Promise<BytesRecord[]> {
  const out: BytesRecord[] = []
  let offset = from
  while (offset < to) {
    const records = await partition.read(offset)
    if (records.length === 0) break
    for (const record of records) {
      if (record.offset >= to) return out
      if (record.offset >= offset) out.push(record)
    }
    offset = records.at(-1)!.offset + 1
  }
  return out
}

/**
 * Finds records for the console: from an offset or a time forward, or newest first, in one partition
 * or all (merged by time), filtered by key, value or header text. Each partition is scanned for at
 * most SCAN_LIMIT records per request; `truncated` says when a search stopped there.
 */
export async function browse(
  topic: BytesTopic,
  query: BrowseQuery,
): Promise<{ records: WireRecord[]; truncated: boolean }> {
  const partitions =
    query.partition === undefined ? [...topic.partitions] : [topic.partition(query.partition)]
  const matches = matcher(query)
  let truncated = false
  const found: BytesRecord[] = []
  for (const partition of partitions) {
    const start = partition.logStartOffset
    const end = partition.logEndOffset
    if (query.mode === 'newest') {
      let to = end
      let scanned = 0
      const hits: BytesRecord[] = []
      while (to > start && hits.length < query.limit) {
        if (scanned >= SCAN_LIMIT) {
          truncated = true
          break
        }
        const from = Math.max(start, to - WINDOW)
        const window = await readRange(partition, from, to)
        scanned += window.length
        for (let i = window.length - 1; i >= 0 && hits.length < query.limit; i--) {
          if (matches(window[i]!)) hits.push(window[i]!)
        }
        to = from
      }
      found.push(...hits)
    } else {
      let from =
        query.mode === 'offset'
          ? Math.min(Math.max(query.offset, start), end)
          : ((await partition.offsetForTimestamp(query.timestamp)) ?? end)
      let scanned = 0
      let hits = 0
      while (from < end && hits < query.limit) {
        if (scanned >= SCAN_LIMIT) {
          truncated = true
          break
        }
        const window = await readRange(partition, from, Math.min(end, from + WINDOW))
        if (window.length === 0) break
        scanned += window.length
        for (const record of window) {
          if (hits >= query.limit) break
          if (matches(record)) {
            found.push(record)
            hits++
          }
        }
        from = window.at(-1)!.offset + 1
      }
    }
  }
  const newest = query.mode === 'newest'
  found.sort((a, b) =>
    newest
      ? b.timestamp - a.timestamp || b.offset - a.offset
      : a.timestamp - b.timestamp || a.offset - b.offset || a.partition - b.partition,
  )
  return { records: found.slice(0, query.limit).map(toWire), truncated }
}
