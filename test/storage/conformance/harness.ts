import { expect, onTestFinished } from 'vitest'
import { batchRecords } from '../../../src/record/batch-records'
import { type Codec, RAW } from '../../../src/record/codec'
import { EMPTY_HEADERS, type LogRecord, type RecordHeaders } from '../../../src/record/log-record'
import { RecordBatch } from '../../../src/record/record-batch'
import type {
  CommittedOffset,
  PartitionLog,
  Storage,
  StorageSnapshot,
  TopicConfig,
} from '../../../src/storage/storage'

/**
 * What a storage conformance run needs: a storage that has not been opened yet, optionally a way to
 * get a new (not yet opened) handle on the same data after the first one closed, a cleanup, and for a
 * backend that can be damaged (a file, a database), a way to damage the stored batch holding an
 * offset while the storage is closed.
 */
export interface StorageUnderTest {
  storage: Storage
  reopen?: () => Promise<Storage>
  /** Damages the stored batch holding `offset` so that its bytes no longer check out. */
  corrupt?: (topic: string, partition: number, offset: number) => Promise<void>
  cleanup: () => Promise<void>
  /**
   * Stores small batches appended back to back as one (memory storage): a read may then start at a
   * batch that begins before the offset asked for. A backend without it returns batches as appended.
   */
  joinsBatches?: boolean
}

export type StorageFactory = () => Promise<StorageUnderTest>

/** Segments roll at this size, so a few kilobytes of records span several segments in file storage. */
export const SEGMENT_BYTES = 1024
export const BIG_READ = 1 << 20

export function topicConfig(overrides: Partial<TopicConfig> = {}): TopicConfig {
  return {
    partitions: 1,
    retentionMs: null,
    retentionBytes: null,
    segmentBytes: SEGMENT_BYTES,
    cleanupPolicy: 'delete',
    deleteRetentionMs: 86_400_000,
    minCleanableDirtyRatio: 0.5,
    minCompactionLagMs: 0,
    maxMessageBytes: 1 << 20,
    ...overrides,
  }
}

export interface RecordSpec {
  key?: Buffer | string | null
  value: Buffer | string | null
  headers?: RecordHeaders
  timestamp?: number
}

function bytesOf(value: Buffer | string | null | undefined): Buffer | null {
  if (value === undefined || value === null) return null
  return typeof value === 'string' ? Buffer.from(value) : value
}

/** A raw batch (Buffer keys and values), as a producer of a raw topic makes it. */
export function rawBatch(specs: readonly RecordSpec[]): RecordBatch {
  const keys = specs.map((s) => bytesOf(s.key))
  const values = specs.map((s) => bytesOf(s.value))
  const headers = specs.some((s) => s.headers !== undefined && s.headers !== EMPTY_HEADERS)
    ? specs.map((s) => s.headers ?? EMPTY_HEADERS)
    : null
  const stamps = specs.map((s) => s.timestamp ?? 1_000)
  const first = stamps[0] ?? 1_000
  let size = 0
  for (let i = 0; i < specs.length; i++) {
    size += 20 + (keys[i]?.length ?? 0) + (values[i]?.length ?? 0)
    for (const [name, v] of Object.entries(headers?.[i] ?? {})) {
      for (const b of Array.isArray(v) ? v : [v]) size += name.length + (b as Buffer).length + 2
    }
  }
  return RecordBatch.fromColumns(
    { keyCodec: RAW, valueCodec: RAW },
    {
      keys,
      values,
      headers,
      timestamps: stamps.every((t) => t === first) ? null : stamps,
      offsetDeltas: null,
      start: 0,
    },
    { count: specs.length, firstTimestamp: first, maxTimestamp: Math.max(...stamps), sizeBytes: size },
  )
}

/** A batch of one codec's values (keys and values in that codec's form), as a typed topic's producer makes it. */
export function typedBatch<T>(
  codec: Codec<T, unknown>,
  keys: T[],
  values: T[],
  timestamp = 1_000,
): RecordBatch {
  let size = 0
  for (let i = 0; i < values.length; i++) size += 20 + codec.sizeOf(keys[i]!) + codec.sizeOf(values[i]!)
  return RecordBatch.fromColumns(
    { keyCodec: codec as Codec<unknown, unknown>, valueCodec: codec as Codec<unknown, unknown> },
    { keys, values, headers: null, timestamps: null, offsetDeltas: null, start: 0 },
    { count: values.length, firstTimestamp: timestamp, maxTimestamp: timestamp, sizeBytes: size },
  )
}

/** A batch's keys or values in `codec`'s form, one per record (a batch may be a window of larger columns). */
export function columnIn(
  batch: RecordBatch,
  codec: Codec<unknown, unknown>,
  which: 'keys' | 'values',
): unknown[] {
  const { items, start } = which === 'keys' ? batch.keysIn(codec) : batch.valuesIn(codec)
  return Array.from({ length: batch.count }, (_, i) => items[start + i])
}

/** A value of exactly `size` bytes that names its position, so misplaced records are visible. */
export function sized(label: string, size: number): string {
  return label.padEnd(size, '.')
}

/** What a test appended: the batch and its base offset. */
export interface Appended {
  base: number
  batch: RecordBatch
  specs: RecordSpec[]
}

/** Appends one batch and waits for it. */
export async function append(log: PartitionLog, specs: RecordSpec[]): Promise<Appended> {
  const batch = rawBatch(specs)
  const base = await log.append(batch)
  return { base, batch, specs }
}

/** `count` batches of `perBatch` records with values of `valueBytes`, appended one after the other. */
export async function appendBatches(
  log: PartitionLog,
  count: number,
  options: { perBatch?: number; valueBytes?: number; timestamp?: number; label?: string } = {},
): Promise<Appended[]> {
  const { perBatch = 1, valueBytes = 200, timestamp = 1_000, label = 'r' } = options
  const out: Appended[] = []
  for (let b = 0; b < count; b++) {
    const specs: RecordSpec[] = []
    for (let i = 0; i < perBatch; i++) {
      specs.push({ key: `${label}-${b}-${i}`, value: sized(`${label}-${b}-${i}`, valueBytes), timestamp })
    }
    out.push(await append(log, specs))
  }
  return out
}

/** The records a spec list stands for, from `base` on: what reading them back must give. */
export function expectedRecords(topic: string, partition: number, appended: readonly Appended[]): View[] {
  return appended.flatMap(({ base, specs }) =>
    specs.map((s, i) =>
      view({
        topic,
        partition,
        offset: base + i,
        timestamp: s.timestamp ?? 1_000,
        key: bytesOf(s.key),
        value: bytesOf(s.value),
        headers: s.headers ?? EMPTY_HEADERS,
      }),
    ),
  )
}

/** Reads through the MaybePromise (a synchronous throw becomes a rejection). */
export async function readBatches(
  log: PartitionLog,
  offset: number,
  maxBytes = BIG_READ,
): Promise<readonly RecordBatch[]> {
  return await log.read(offset, maxBytes)
}

/** The raw records of a read from `offset` (records before it in the first batch skipped). */
export async function read(
  log: PartitionLog,
  topic: string,
  partition: number,
  offset: number,
  maxBytes = BIG_READ,
): Promise<LogRecord[]> {
  const out: LogRecord[] = []
  for (const batch of await readBatches(log, offset, maxBytes))
    batchRecords(batch, offset, topic, partition, RAW, RAW, out)
  return out as LogRecord[]
}

/** Every record from `from` to the log end, one read after another. */
export async function readAll(
  log: PartitionLog,
  topic: string,
  partition: number,
  from = log.logStartOffset,
): Promise<LogRecord[]> {
  const out: LogRecord[] = []
  let offset = from
  while (offset < log.logEndOffset) {
    const batches = await readBatches(log, offset)
    if (batches.length === 0) throw new Error(`read(${offset}) returned nothing before the log end`)
    for (const batch of batches) batchRecords(batch, offset, topic, partition, RAW, RAW, out)
    offset = batches.at(-1)!.nextOffset
  }
  return out as LogRecord[]
}

export async function rejection(promise: unknown): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

/** What `fn` throws, synchronously or as a rejection. */
export async function failure(fn: () => unknown): Promise<unknown> {
  return rejection(Promise.resolve().then(fn))
}

/** A comparable view of a record: what must survive storage byte for byte. */
export interface View {
  topic: string
  partition: number
  offset: number
  timestamp: number
  key: string | null
  value: string | null
  headers: Record<string, string | string[]>
}

export function view(record: LogRecord): View {
  const headers: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(record.headers)) {
    headers[name] = Array.isArray(value)
      ? value.map((v) => v.toString('hex'))
      : (value as Buffer).toString('hex')
  }
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    timestamp: record.timestamp,
    key: record.key === null ? null : record.key.toString('hex'),
    value: record.value === null ? null : record.value.toString('hex'),
    headers,
  }
}

export function views(records: readonly LogRecord[]): View[] {
  return records.map(view)
}

export function offsetsOf(records: readonly LogRecord[]): number[] {
  return records.map((r) => r.offset)
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i)
}

export function sortOffsets(offsets: readonly CommittedOffset[]): CommittedOffset[] {
  return [...offsets].sort((a, b) =>
    a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1,
  )
}

export function sortedGroups(snapshot: StorageSnapshot): Record<string, CommittedOffset[]> {
  const out: Record<string, CommittedOffset[]> = {}
  for (const [groupId, offsets] of Object.entries(snapshot.groups)) out[groupId] = sortOffsets(offsets)
  return out
}

/** The storage under test, opened, closed after the test whatever happens. */
export interface Harness {
  storage: Storage
  snapshot: StorageSnapshot
  canReopen: boolean
  underTest: StorageUnderTest
  /** Closes the current storage and opens the data again; the harness then points at the new one. */
  closeAndReopen(): Promise<StorageSnapshot>
  /** A second, not yet opened handle on the same data (for the lock test). */
  another(): Promise<Storage>
}

export async function setup(factory: StorageFactory): Promise<Harness> {
  const underTest = await factory()
  const opened: Storage[] = []
  onTestFinished(async () => {
    for (const storage of opened.reverse()) await storage.close().catch(() => undefined)
    await underTest.cleanup()
  })
  const snapshot = await underTest.storage.open()
  opened.push(underTest.storage)
  const harness: Harness = {
    storage: underTest.storage,
    snapshot,
    canReopen: underTest.reopen !== undefined,
    underTest,
    async closeAndReopen() {
      if (underTest.reopen === undefined) throw new Error('this storage cannot be reopened')
      await harness.storage.close()
      const next = await underTest.reopen()
      harness.snapshot = await next.open()
      opened.push(next)
      harness.storage = next
      return harness.snapshot
    },
    async another() {
      if (underTest.reopen === undefined) return underTest.storage
      return underTest.reopen()
    },
  }
  return harness
}

/** The batches of a read add up to about `maxBytes`: never more than one batch past it, never short of it early. */
export function expectWithinBudget(
  batches: readonly RecordBatch[],
  maxBytes: number,
  moreLeft: boolean,
): void {
  expect(batches.length).toBeGreaterThan(0)
  const sizes = batches.map((b) => b.sizeBytes)
  const total = sizes.reduce((a, b) => a + b, 0)
  expect(total - sizes.at(-1)!).toBeLessThan(maxBytes)
  if (moreLeft) expect(total).toBeGreaterThanOrEqual(maxBytes)
}
