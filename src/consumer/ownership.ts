import { type LogbusError, OffsetOutOfRangeError } from '../errors'
import type { Codec } from '../record/codec'
import type { TopicPartition } from '../record/log-record'
import type { CommittedOffset } from '../storage/storage'
import type { PartitionCore } from '../topic/partition-core'
import type { Signal } from '../util/signal'
import { tpKey } from '../util/tp-key'
import type { Delivery } from './delivery'
import type { Fetcher } from './fetcher'
import type { ResolvedConsumerOptions } from './options'
import { type PartitionState, toTopicPartition } from './partition-state'
import type { ProgressWaits } from './progress'

/** The form a consumer receives one topic in, and the partitions behind it. */
export interface TopicSource {
  partition(index: number): PartitionCore | undefined
  keyCodec: Codec<unknown, unknown>
  valueCodec: Codec<unknown, unknown>
}

/** The consumer events raised when partitions come and go. */
export interface OwnershipEvents {
  groupJoin(payload: {
    groupId: string | undefined
    memberId: string
    generation: number
    assignment: TopicPartition[]
  }): void
  partitionsAssigned(payload: {
    groupId: string | undefined
    generation: number
    partitions: TopicPartition[]
  }): void
  partitionsRevoked(payload: {
    groupId: string | undefined
    generation: number
    partitions: TopicPartition[]
  }): void
  commit(payload: { groupId: string | undefined; offsets: CommittedOffset[] }): void
  removed(payload: { groupId: string | undefined; memberId: string; reason: LogbusError }): void
}

/** What ownership needs from its consumer. */
export interface OwnershipHost {
  readonly groupId: string | undefined
  readonly options: ResolvedConsumerOptions
  readonly fetcher: Fetcher
  readonly progress: ProgressWaits
  readonly signal: Signal
  readonly emit: OwnershipEvents
  delivery(): Delivery | undefined
  source(topic: string): TopicSource | undefined
  resetPosition(core: PartitionCore): number
  crash(error: Error): void
}

/**
 * How a consumer comes to own partitions and gives them up, whoever decides which (its group's
 * coordinator, or the consumer itself without a group): positions from the committed offset or the
 * reset policy, onAssign before the first fetch, and on the way out the handler in flight returns,
 * offsets are committed, onRevoke runs.
 */
export class Ownership {
  constructor(private readonly host: OwnershipHost) {}

  /** The owned partitions, sorted by topic and partition. */
  assignment(): TopicPartition[] {
    return this.host.fetcher.states.map(toTopicPartition)
  }

  /**
   * Starts owning the partitions of `tps` not owned yet, each at `startAt(tp)` (a committed or chosen
   * offset) when it is valid, else at the reset policy's; returns the partitions added.
   */
  async take(
    tps: readonly TopicPartition[],
    generation: number,
    startAt: (tp: TopicPartition) => number | undefined,
  ): Promise<TopicPartition[]> {
    const { fetcher, signal } = this.host
    const added: TopicPartition[] = []
    for (const tp of tps) {
      const key = tpKey(tp.topic, tp.partition)
      if (fetcher.has(key)) continue
      const source = this.host.source(tp.topic)
      const core = source?.partition(tp.partition)
      if (source === undefined || core === undefined) continue
      const committed = startAt(tp)
      const valid =
        committed !== undefined && committed >= core.logStartOffset && committed <= core.logEndOffset
      const start = valid ? committed : this.host.resetPosition(core)
      const state: PartitionState = {
        topic: tp.topic,
        core,
        key,
        keyCodec: source.keyCodec,
        valueCodec: source.valueCodec,
        readCommitted: this.host.options.isolation === 'read_committed',
        position: start,
        processed: start,
        committed,
        interrupted: false,
        revoked: false,
        paused: false,
        attempts: 0,
        seeks: 0,
        ready: false,
        busy: false,
        drained: undefined,
        delivering: false,
        deliveries: 0,
        watchSeq: -1,
        strikes: 0,
        unsubscribe: core.subscribe(signal.notify),
      }
      fetcher.add(state)
      added.push({ topic: tp.topic, partition: tp.partition })
      if (Number.isNaN(start)) {
        this.host.crash(
          committed === undefined
            ? new OffsetOutOfRangeError(
                tp.topic,
                tp.partition,
                -1,
                `Undefined offset with no reset policy for ${tp.topic}-${tp.partition}: no committed offset and autoOffsetReset is 'none'`,
              )
            : new OffsetOutOfRangeError(tp.topic, tp.partition, committed),
        )
      }
    }
    const onAssign = this.host.options.onAssign
    if (onAssign !== undefined && added.length > 0) {
      try {
        await onAssign(added)
      } catch (error) {
        this.host.crash(asError(error))
      }
    }
    this.host.emit.partitionsAssigned({ groupId: this.host.groupId, generation, partitions: added })
    return added
  }

  /** Lets the fetch loops at what was taken (after onAssign ran and the assignment was announced). */
  start(): void {
    for (const state of this.host.fetcher.states) state.ready = true
    this.host.signal.notify()
    this.host.progress.check()
  }

  /**
   * Gives partitions up, each once however many ask: the handler in flight on them returns, `commit`
   * commits what was processed (when given), onRevoke runs, then they are gone.
   */
  async give(
    partitions: readonly TopicPartition[],
    generation: number,
    commit: ((states: readonly PartitionState[]) => Promise<void>) | undefined,
  ): Promise<void> {
    const fetcher = this.host.fetcher
    const states: PartitionState[] = []
    const elsewhere = new Set<Promise<void>>()
    for (const tp of partitions) {
      const state = fetcher.get(tp.topic, tp.partition)
      if (state === undefined) continue
      if (state.revoked) {
        // Given up by a call still in flight: wait for that one rather than revoke twice.
        if (state.giving !== undefined) elsewhere.add(state.giving)
        continue
      }
      state.revoked = true
      state.interrupted = true
      states.push(state)
    }
    if (states.length === 0) {
      await Promise.all(elsewhere)
      return
    }
    const giving = this.#give(states, generation, commit)
    for (const state of states) state.giving = giving
    await Promise.all([giving, ...elsewhere])
  }

  async #give(
    states: PartitionState[],
    generation: number,
    commit: ((states: readonly PartitionState[]) => Promise<void>) | undefined,
  ): Promise<void> {
    const fetcher = this.host.fetcher
    this.host.signal.notify()
    // Only the handlers of these partitions: with cooperative rebalancing the kept ones go on.
    await (this.host.delivery()?.drained(states) ?? Promise.resolve())
    if (commit !== undefined) await commit(states).catch(() => undefined)
    const onRevoke = this.host.options.onRevoke
    if (onRevoke !== undefined) {
      try {
        await onRevoke(states.map(toTopicPartition))
      } catch (error) {
        this.host.crash(asError(error))
      }
    }
    for (const state of states) fetcher.remove(state)
    this.host.emit.partitionsRevoked({
      groupId: this.host.groupId,
      generation,
      partitions: states.map(toTopicPartition),
    })
    this.host.progress.check()
  }

  /** Forgets every partition at once (without committing): the consumer lost them. */
  dropAll(): void {
    for (const state of [...this.host.fetcher.states]) this.host.fetcher.remove(state)
    this.host.progress.check()
  }

  /** What was processed on `states` and not committed yet. */
  uncommitted(states: readonly PartitionState[]): CommittedOffset[] {
    const offsets: CommittedOffset[] = []
    for (const s of states) {
      if (s.processed !== s.committed && !Number.isNaN(s.processed) && s.core.live) {
        offsets.push({ topic: s.topic, partition: s.core.partition, offset: s.processed })
      }
    }
    return offsets
  }

  /** Records a commit that the group accepted. */
  committed(offsets: readonly CommittedOffset[]): void {
    for (const o of offsets) {
      const state = this.host.fetcher.get(o.topic, o.partition)
      if (state !== undefined) state.committed = o.offset
    }
    this.host.emit.commit({ groupId: this.host.groupId, offsets: [...offsets] })
  }
}

export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error))
}
