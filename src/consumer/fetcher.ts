import { OffsetOutOfRangeError, UnknownTopicError } from '../errors'
import type { LatencyHistogram } from '../metrics/histogram'
import type { RecordBatch } from '../record/record-batch'
import type { PartitionCore } from '../topic/partition-core'
import type { Signal } from '../util/signal'
import { compareTopicPartitions, tpKey } from '../util/tp-key'
import type { Delivery } from './delivery'
import { type PartitionState, readableEnd, toTopicPartition } from './partition-state'
import type { ProgressWaits } from './progress'

/** What the fetcher needs from its consumer. */
export interface FetcherHost {
  readonly signal: Signal
  readonly progress: ProgressWaits
  readonly maxBytesPerPartition: number
  /** The bus's histogram of storage reads. */
  readonly fetchLatency: LatencyHistogram
  running(): boolean
  crash(error: Error): void
  /** Where to start on a partition without a valid position: NaN when the reset policy is 'none'. */
  resetPosition(core: PartitionCore): number
}

/**
 * The partitions a member owns and the loops that fetch from them: each loop takes the next partition
 * with records to read (round-robin), reads whole batches from its position, and hands them to
 * delivery. Loops park on the signal when nothing is readable; an append, a seek or a resume wakes
 * them. `partitionsConsumedConcurrently` loops share the partitions, a partition never two at a time.
 */
export class Fetcher {
  readonly #states = new Map<string, PartitionState>()
  /**
   * The same states by topic, then partition: `get` runs once per delivered record in the facade
   * (`position`), and a `tpKey` string per call was an allocation and a hash each.
   */
  readonly #byTopic = new Map<string, Map<number, PartitionState>>()
  #order: PartitionState[] = []
  #cursor = 0
  readonly #pausedTopics = new Set<string>()
  readonly #pausedPartitions = new Set<string>()

  constructor(private readonly host: FetcherHost) {}

  /** The owned partitions, sorted by topic and partition. */
  get states(): readonly PartitionState[] {
    return this.#order
  }

  get(topic: string, partition: number): PartitionState | undefined {
    return this.#byTopic.get(topic)?.get(partition)
  }

  has(key: string): boolean {
    return this.#states.has(key)
  }

  add(state: PartitionState): void {
    this.#states.set(state.key, state)
    const { topic, partition } = toTopicPartition(state)
    let partitions = this.#byTopic.get(topic)
    if (partitions === undefined) {
      partitions = new Map()
      this.#byTopic.set(topic, partitions)
    }
    partitions.set(partition, state)
    this.#order = [...this.#states.values()].sort((a, b) =>
      compareTopicPartitions(toTopicPartition(a), toTopicPartition(b)),
    )
    this.#applyPauses()
  }

  remove(state: PartitionState): void {
    state.revoked = true
    state.interrupted = true
    state.unsubscribe()
    if (this.#states.get(state.key) === state) {
      this.#states.delete(state.key)
      const { topic, partition } = toTopicPartition(state)
      const partitions = this.#byTopic.get(topic)
      partitions?.delete(partition)
      if (partitions?.size === 0) this.#byTopic.delete(topic)
    }
    this.#order = this.#order.filter((s) => s !== state)
    this.#cursor = 0
  }

  /** Runs `count` loops until the consumer stops running; resolves when they all returned. */
  run(count: number, delivery: Delivery): Promise<void> {
    return Promise.all(Array.from({ length: count }, () => this.#loop(delivery, count > 1))).then(
      () => undefined,
    )
  }

  pause(partitions: ReadonlyArray<{ topic: string; partition?: number }>): void {
    for (const { topic, partition } of partitions) {
      if (partition === undefined) this.#pausedTopics.add(topic)
      else this.#pausedPartitions.add(tpKey(topic, partition))
    }
    this.#applyPauses()
  }

  resume(partitions: ReadonlyArray<{ topic: string; partition?: number }>): void {
    for (const { topic, partition } of partitions) {
      if (partition === undefined) {
        this.#pausedTopics.delete(topic)
        for (const key of this.#pausedPartitions)
          if (key.startsWith(`${topic}\u0000`)) this.#pausedPartitions.delete(key)
      } else {
        this.#pausedPartitions.delete(tpKey(topic, partition))
      }
    }
    this.#applyPauses()
    this.host.signal.notify()
  }

  #applyPauses(): void {
    for (const state of this.#order) {
      const paused = this.#pausedTopics.has(state.topic) || this.#pausedPartitions.has(state.key)
      if (paused && !state.paused) state.interrupted = true
      state.paused = paused
    }
  }

  async #loop(delivery: Delivery, shared: boolean): Promise<void> {
    const host = this.host
    while (host.running()) {
      const state = this.#nextReady()
      if (state === undefined) {
        if (host.progress.pending) host.progress.check()
        await host.signal.wait()
        continue
      }
      state.busy = true
      try {
        const result = this.#fetchAndDeliver(state, delivery)
        if (typeof result !== 'number') await result
      } finally {
        state.busy = false
      }
      // Another loop may be waiting for this partition's next records.
      if (shared && host.signal.waiting) host.signal.notify()
    }
  }

  /** Reads from one partition and hands the records over; returns how many were delivered. */
  #fetchAndDeliver(state: PartitionState, delivery: Delivery): Promise<number> | number {
    const core = state.core
    if (state.position < core.logStartOffset || state.position > core.logEndOffset) {
      const reset = this.host.resetPosition(core)
      if (Number.isNaN(reset)) {
        this.host.crash(new OffsetOutOfRangeError(state.topic, core.partition, state.position))
        return 0
      }
      state.position = state.processed = reset
      return 0
    }
    state.interrupted = false
    let read: readonly RecordBatch[] | Promise<readonly RecordBatch[]>
    const startedAt = performance.now()
    try {
      read = core.read(state.position, this.host.maxBytesPerPartition)
    } catch (error) {
      return this.#readFailed(error)
    }
    if (read instanceof Promise) {
      return read.then(
        (batches) => {
          this.host.fetchLatency.observeSince(startedAt)
          return this.#deliverRead(state, batches, delivery)
        },
        (error: unknown) => this.#readFailed(error),
      )
    }
    this.host.fetchLatency.observeSince(startedAt)
    return this.#deliverRead(state, read, delivery)
  }

  #deliverRead(
    state: PartitionState,
    batches: readonly RecordBatch[],
    delivery: Delivery,
  ): Promise<number> | number {
    if (state.interrupted || batches.length === 0) return 0
    const core = state.core
    for (let i = 0; i < batches.length; i++) core.bytesOut += batches[i]!.sizeBytes
    const delivered = delivery.deliver(state, batches, readableEnd(state))
    if (typeof delivered === 'number') {
      core.recordsOut += delivered
      return delivered
    }
    return delivered.then((count) => {
      core.recordsOut += count
      return count
    })
  }

  #readFailed(error: unknown): number {
    // Retention or deletion raced with the read: the next round re-checks the range.
    if (error instanceof OffsetOutOfRangeError || error instanceof UnknownTopicError) return 0
    this.host.crash(error instanceof Error ? error : new Error(String(error)))
    return 0
  }

  /** Round-robin over owned partitions that have something to fetch. */
  #nextReady(): PartitionState | undefined {
    const order = this.#order
    const n = order.length
    for (let i = 0; i < n; i++) {
      const index = (this.#cursor + i) % n
      const state = order[index]!
      if (
        state.ready &&
        !state.busy &&
        !state.paused &&
        !state.revoked &&
        state.core.live &&
        // Something to read, or a position past the end that the reset policy must deal with.
        (state.position < readableEnd(state) || state.position > state.core.logEndOffset)
      ) {
        this.#cursor = index + 1
        return state
      }
    }
    return undefined
  }
}
