/**
 * The end-to-end throughput driver: P producers → one topic → a group of G members (or a consumer
 * without a group), used the way a user would use logbus. A run ends when the consumers' handlers
 * have seen the last record (and, over a file log, when the bus has closed: the final fsync counts).
 */

import { setImmediate as immediate } from 'node:timers/promises'
import { Bus, type Consumer, type Producer } from 'logbus'
import {
  gcDetail,
  gcMeter,
  logBytes,
  makeTempDir,
  percentiles,
  type RepSample,
  removeDir,
  withTimeout,
} from './common'
import { loadFileStorage } from './probe'
import {
  type AnyTopic,
  BATCH,
  createBenchTopic,
  PAYLOAD_BYTES,
  type ValueKind,
  WINDOW_RECORDS,
  type Workload,
  workload,
} from './workload'

export type FsyncPolicy = 'always' | 'interval' | 'never'
export type StorageKind = 'memory' | FsyncPolicy
export type SendMode = 'batch' | 'single'
/** `groupless`: one consumer without a groupId (a fan-out listener), sync eachMessage. */
export type HandlerKind = 'sync' | 'async' | 'eachBatch' | 'groupless'

export interface LoadSpec {
  storage: StorageKind
  kind: ValueKind
  partitions: number
  groupSize: number
  producers: number
  mode: SendMode
  handler?: HandlerKind
  /** Record the time from each `send` call to its resolution (the ack latency). */
  ackLatency?: boolean
  /** Sends each producer keeps in flight; default `WINDOW_RECORDS` records (10 sends of 100, or 1,000 of 1). */
  window?: number
}

export interface Consumers {
  consumers: Consumer<unknown>[]
  /** Resolves once the handlers have seen `target` records in total since the last `expect`. */
  expect(target: number): Promise<void>
  seen(): number
}

/** The background fsync period of the 'interval' cases: short enough to fire within a repetition. */
export const INTERVAL_MS = 100

/** Opens a bus over memory or a fresh temp directory (the file log is loaded only then). */
export async function openBus(storage: StorageKind): Promise<{ bus: Bus; dir: string | undefined }> {
  if (storage === 'memory') return { bus: await Bus.open(), dir: undefined }
  const { api, reason } = await loadFileStorage()
  if (api === undefined) throw new Error(reason)
  const dir = makeTempDir(storage)
  try {
    const fileStorage = new api.FileStorage({ dir, fsync: storage, fsyncIntervalMs: INTERVAL_MS })
    return { bus: await Bus.open({ storage: fileStorage }), dir }
  } catch (error) {
    removeDir(dir)
    throw error
  }
}

/** Starts G members of one group on the topic (or one consumer without a group), all counting into one counter. */
export async function startConsumers(
  bus: Bus,
  topic: AnyTopic,
  groupSize: number,
  handler: HandlerKind = 'sync',
): Promise<Consumers> {
  let count = 0
  let target = Number.POSITIVE_INFINITY
  let reached: (() => void) | undefined
  const check = (): void => {
    if (count >= target && reached !== undefined) {
      const r = reached
      reached = undefined
      r()
    }
  }
  const consumers: Consumer<unknown>[] = []
  if (handler === 'groupless') consumers.push(bus.consumer({ topics: [topic], fromBeginning: true }))
  else {
    for (let i = 0; i < groupSize; i++) {
      consumers.push(bus.consumer({ groupId: 'bench', topics: [topic], fromBeginning: true }))
    }
  }
  await Promise.all(
    consumers.map((c) => {
      if (handler === 'eachBatch') {
        return c.run({
          eachBatch: ({ records }) => {
            count += records.length
            if (count >= target) check()
          },
        })
      }
      if (handler === 'async') {
        return c.run({
          eachMessage: async () => {
            if (++count >= target) check()
          },
        })
      }
      return c.run({
        eachMessage: () => {
          if (++count >= target) check()
        },
      })
    }),
  )
  if (handler !== 'groupless') await bus.group('bench').settled()
  return {
    consumers,
    expect(n: number) {
      target = count + n
      return new Promise<void>((resolve) => {
        reached = resolve
        check()
      })
    },
    seen: () => count,
  }
}

/** Sends in flight per producer by default: `WINDOW_RECORDS` records. */
export function defaultWindow(mode: SendMode): number {
  return mode === 'batch' ? WINDOW_RECORDS / BATCH : WINDOW_RECORDS
}

export interface Latencies {
  values: Float64Array
  n: number
}

/**
 * One producer sending `count` records of `work` with `window` sends in flight (by default 10 sends
 * of 100, or 1,000 single sends), awaiting each window before the next; a window of 1 is a closed
 * loop that awaits every send. `offset` spreads producers over the message pool. With `latencies`,
 * each send's ack latency (ms) is stored there.
 *
 * After each window the producer yields to the event loop (setImmediate), as a producer driven by
 * I/O does. Without it, over memory or fsync 'never' a send loop could run on microtasks alone and
 * the run would measure "produce everything, then consume".
 */
export async function produce(
  producer: Producer,
  topic: AnyTopic,
  work: Workload,
  mode: SendMode,
  count: number,
  offset: number,
  latencies?: Latencies,
  window: number = defaultWindow(mode),
): Promise<void> {
  let sent = 0
  const pending: Promise<unknown>[] = []
  if (mode === 'batch') {
    let b = (offset / BATCH) | 0
    while (sent < count) {
      pending.length = 0
      for (let w = 0; w < window && sent < count; w++) {
        const full = work.batch(b++)
        const batch = count - sent >= BATCH ? full : full.slice(0, count - sent)
        pending.push(timed(producer.send(topic, batch), latencies))
        sent += batch.length
      }
      await Promise.all(pending)
      await immediate()
    }
  } else {
    let m = offset
    while (sent < count) {
      pending.length = 0
      for (let w = 0; w < window && sent < count; w++) {
        pending.push(timed(producer.send(topic, work.message(m++)), latencies))
        sent++
      }
      await Promise.all(pending)
      await immediate()
    }
  }
}

function timed<T>(promise: Promise<T>, latencies: Latencies | undefined): Promise<unknown> {
  if (latencies === undefined) return promise
  const start = performance.now()
  return promise.then(() => {
    if (latencies.n < latencies.values.length) latencies.values[latencies.n++] = performance.now() - start
  })
}

/**
 * One repetition of a throughput case on a fresh bus: value = records per second end to end.
 * Detail: payload MB/s, GC share and longest pause; over a file log also bytes on disk, disk MB/s and
 * the close time; with `ackLatency`, ack p50/p99/p99.9.
 */
export async function runLoad(spec: LoadSpec, count: number): Promise<RepSample> {
  const { bus, dir } = await openBus(spec.storage)
  try {
    const topic = await createBenchTopic(bus, spec.kind, spec.partitions)
    const group = await startConsumers(bus, topic, spec.groupSize, spec.handler)
    const producers = Array.from({ length: spec.producers }, () => bus.producer())
    const perProducer = Math.ceil(count / spec.producers / BATCH) * BATCH
    const total = perProducer * spec.producers
    const latencies =
      spec.ackLatency === true
        ? { values: new Float64Array(Math.ceil(total / (spec.mode === 'batch' ? BATCH : 1)) + 16), n: 0 }
        : undefined
    const work = workload(spec.kind)
    const done = group.expect(total)
    const gc = gcMeter()
    const start = performance.now()
    await withTimeout(
      Promise.all(
        producers.map((p, i) =>
          produce(p, topic, work, spec.mode, perProducer, i * 7919, latencies, spec.window),
        ),
      ).then(() => done),
      180_000,
      'a throughput run',
    )
    const delivered = performance.now()
    const pauses = gc.stop()
    let end = delivered
    const detail = gcDetail(pauses, delivered - start)
    if (dir !== undefined) {
      await bus.close()
      end = performance.now()
      const bytes = logBytes(dir)
      detail.diskMBps = bytes / 1e6 / ((end - start) / 1000)
      detail.bytesPerRecord = bytes / total
      detail.closeMs = end - delivered
    }
    const seconds = (end - start) / 1000
    detail.payloadMBps = (total * PAYLOAD_BYTES) / 1e6 / seconds
    if (latencies !== undefined) {
      const p = percentiles(latencies.values, latencies.n)
      detail.ackP50Ms = p.p50
      detail.ackP99Ms = p.p99
      detail.ackP999Ms = p.p999
    }
    return { value: total / seconds, detail }
  } finally {
    await bus.close()
    if (dir !== undefined) removeDir(dir)
  }
}
