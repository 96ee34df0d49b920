import { InvalidProducerEpochError, InvalidTransactionStateError, ProducerFencedError } from '../errors'
import { ControlType, controlBatch } from '../record/control'
import type { RecordBatch } from '../record/record-batch'
import type { CommittedOffset } from '../storage/storage'
import type { PartitionCore } from '../topic/partition-core'
import type { Clock, ClockTimer } from '../util/clock'
import { SerialQueue } from '../util/serial-queue'
import {
  parseStateRecord,
  stateRecord,
  type TransactionStateEntry,
  type TransactionStatus,
} from './state-log'

/** The state log key under which producer ids are reserved for idempotent producers. */
const PRODUCER_ID_BLOCK = '\u0000producer-ids'
const PRODUCER_ID_BLOCK_SIZE = 1000

/** What the coordinator needs from its bus. */
export interface CoordinatorHost {
  readonly clock: Clock
  /** The state log's partition, created on first use (undefined without `create` when there is none). */
  stateLog(create: true): Promise<PartitionCore>
  stateLog(create: false): Promise<PartitionCore | undefined>
  /** A partition by topic and index, if it exists. */
  partition(topic: string, partition: number): PartitionCore | undefined
  /** Every partition of every topic. */
  partitions(): Iterable<PartitionCore>
  /** Stores offsets a transaction commits for a group. */
  commitOffsets(groupId: string, offsets: CommittedOffset[]): Promise<void>
}

/**
 * The producer id and epoch an idempotent or transactional producer writes with.
 *
 * @example
 * ```ts
 * const identity: ProducerIdentity = await bus.transactions.initProducerId({ transactionalId: 'etl-1' })
 * ```
 */
export interface ProducerIdentity {
  readonly producerId: number
  readonly epoch: number
}

interface OpenTransaction {
  readonly partitions: Set<PartitionCore>
  readonly offsets: Map<string, Map<string, CommittedOffset>>
  timer: ClockTimer | undefined
}

interface IdState {
  producerId: number
  epoch: number
  timeoutMs: number
  open: OpenTransaction | undefined
  /** Why the current epoch is over, when it is (a timeout): the producer is fenced. */
  expired: boolean
}

/**
 * Kafka's transaction coordinator, in process: transactional ids get a producer id and an epoch (a
 * newer producer bumps the epoch and fences the older one), open transactions know their partitions
 * and offsets, and ending one is logged before it is done — prepare, markers to every partition,
 * offsets, complete — so that a bus reopened after a crash finishes what was prepared and aborts what
 * was open.
 */
export class TransactionCoordinator {
  readonly #ids = new Map<string, IdState>()
  readonly #queues = new Map<string, SerialQueue>()
  /** The transactional id of each producer id it gave out. */
  readonly #transactionalIds = new Map<number, string>()
  #nextProducerId = 1
  /** Producer ids below this one are reserved in the state log (idempotent producers take from there). */
  #reservedUpTo = 1
  readonly #reserving = new SerialQueue()

  constructor(private readonly host: CoordinatorHost) {}

  /**
   * After a reopen: replays the state log (producer ids and epochs go on from where they were),
   * rebuilds every partition's transaction state, completes the transactions that were prepared, and
   * aborts every transaction still open — their producers were in the process that went away.
   */
  async recover(): Promise<void> {
    const log = await this.host.stateLog(false)
    if (log === undefined) return
    const last = new Map<string, TransactionStateEntry>()
    let offset = log.logStartOffset
    while (offset < log.logEndOffset) {
      const batches = await log.read(offset, 8 << 20)
      if (batches.length === 0) break
      for (const batch of batches) {
        const start = batch.columnStart
        for (let i = 0; i < batch.count; i++) {
          const entry = parseStateRecord(batch.keys[start + i], batch.values[start + i])
          if (entry !== undefined) last.set(entry.transactionalId, entry)
        }
        offset = batch.nextOffset
      }
    }
    const reservation = last.get(PRODUCER_ID_BLOCK)
    last.delete(PRODUCER_ID_BLOCK)
    if (reservation !== undefined) {
      this.#nextProducerId = reservation.producerId + 1
      this.#reservedUpTo = this.#nextProducerId
    }
    if (last.size === 0) return
    const epochs = new Map<number, number>()
    for (const entry of last.values()) {
      this.#nextProducerId = Math.max(this.#nextProducerId, entry.producerId + 1)
      this.#reservedUpTo = Math.max(this.#reservedUpTo, this.#nextProducerId)
      this.#transactionalIds.set(entry.producerId, entry.transactionalId)
      epochs.set(entry.producerId, entry.epoch)
      this.#ids.set(entry.transactionalId, {
        producerId: entry.producerId,
        epoch: entry.epoch,
        timeoutMs: 60_000,
        open: undefined,
        expired: false,
      })
    }
    for (const partition of this.host.partitions()) {
      if (partition.topic !== log.topic) await partition.recoverTransactions()
    }
    for (const entry of last.values()) {
      if (entry.status === 'PrepareCommit') await this.#finish(entry, true)
      else if (entry.status === 'PrepareAbort') await this.#finish(entry, false)
    }
    const now = this.host.clock.now()
    for (const partition of this.host.partitions()) {
      for (const producerId of [...partition.transactions.openTransactions.keys()]) {
        const epoch = epochs.get(producerId) ?? 0
        await partition.append(controlBatch(ControlType.Abort, producerId, epoch, now))
      }
    }
  }

  /**
   * Kafka's InitProducerId for a transactional id: a transaction left open by an earlier producer is
   * aborted, the epoch goes up (fencing that producer), and the new identity is logged.
   */
  initProducer(transactionalId: string, timeoutMs: number): Promise<ProducerIdentity> {
    return this.#serial(transactionalId, async () => {
      let state = this.#ids.get(transactionalId)
      if (state?.open !== undefined) await this.#end(transactionalId, state, false)
      if (state === undefined) {
        state = { producerId: this.#nextProducerId++, epoch: 0, timeoutMs, open: undefined, expired: false }
        this.#reservedUpTo = Math.max(this.#reservedUpTo, this.#nextProducerId)
        this.#ids.set(transactionalId, state)
        this.#transactionalIds.set(state.producerId, transactionalId)
      } else {
        state.epoch++
        state.timeoutMs = timeoutMs
        state.expired = false
      }
      await this.#log(transactionalId, state, 'Empty', undefined)
      return { producerId: state.producerId, epoch: state.epoch }
    })
  }

  /**
   * A producer id for an idempotent producer without a transactional id (Kafka's InitProducerId with a
   * null transactionalId), epoch 0. Ids are reserved in blocks in the state log, so that a bus
   * reopened later never hands out an id that wrote to a partition before.
   */
  allocateProducerId(): Promise<ProducerIdentity> {
    return this.#reserving.run(async () => {
      if (this.#nextProducerId >= this.#reservedUpTo) {
        const upTo = this.#nextProducerId + PRODUCER_ID_BLOCK_SIZE
        const entry: TransactionStateEntry = {
          transactionalId: PRODUCER_ID_BLOCK,
          producerId: upTo - 1,
          epoch: -1,
          status: 'Empty',
          partitions: [],
          offsets: [],
        }
        await (await this.host.stateLog(true)).append(stateRecord(entry, this.host.clock.now()))
        this.#reservedUpTo = upTo
      }
      return { producerId: this.#nextProducerId++, epoch: 0 }
    })
  }

  /**
   * Kafka's check of a transactional batch a client sent (KIP-890): its producer id must belong to a
   * transactional id at that epoch, with `partition` added to the open transaction.
   */
  checkWrite(batch: RecordBatch, partition: PartitionCore): void {
    const transactionalId = this.#transactionalIds.get(batch.producerId)
    const state = transactionalId === undefined ? undefined : this.#ids.get(transactionalId)
    if (state === undefined || transactionalId === undefined) {
      throw new InvalidTransactionStateError(`Producer ${batch.producerId} has no transactional id`)
    }
    if (batch.producerEpoch < state.epoch) {
      throw new InvalidProducerEpochError(batch.producerId, batch.producerEpoch, state.epoch)
    }
    this.check(transactionalId, { producerId: batch.producerId, epoch: batch.producerEpoch })
    if (state.open === undefined || !state.open.partitions.has(partition)) {
      throw new InvalidTransactionStateError(
        `${partition.topic}-${partition.partition} is not in the open transaction of "${transactionalId}"`,
      )
    }
  }

  /** Throws ProducerFencedError unless `identity` is the transactional id's current one. */
  check(transactionalId: string, identity: ProducerIdentity): void {
    const state = this.#ids.get(transactionalId)
    if (state === undefined || state.epoch !== identity.epoch || state.producerId !== identity.producerId) {
      throw new ProducerFencedError(transactionalId)
    }
    if (state.expired)
      throw new ProducerFencedError(transactionalId, 'its transaction timed out and was aborted')
  }

  /** A transaction writes to `partition` (Kafka's AddPartitionsToTxn); the first one starts the timeout. */
  addPartition(transactionalId: string, identity: ProducerIdentity, partition: PartitionCore): void {
    this.check(transactionalId, identity)
    this.#open(transactionalId).partitions.add(partition)
  }

  /** Offsets to commit for `groupId` if the transaction commits (Kafka's TxnOffsetCommit). */
  addOffsets(
    transactionalId: string,
    identity: ProducerIdentity,
    groupId: string,
    offsets: CommittedOffset[],
  ): void {
    this.check(transactionalId, identity)
    const open = this.#open(transactionalId)
    let group = open.offsets.get(groupId)
    if (group === undefined) {
      group = new Map()
      open.offsets.set(groupId, group)
    }
    for (const o of offsets) group.set(`${o.topic}\u0000${o.partition}`, { ...o })
  }

  /** Kafka's EndTxn: commits or aborts the open transaction (nothing open: nothing to do). */
  end(transactionalId: string, identity: ProducerIdentity, commit: boolean): Promise<void> {
    return this.#serial(transactionalId, async () => {
      this.check(transactionalId, identity)
      const state = this.#ids.get(transactionalId)!
      if (state.open !== undefined) await this.#end(transactionalId, state, commit)
    })
  }

  /** The bus is closing: open transactions stay open (the next bus aborts them), timers stop. */
  close(): void {
    for (const state of this.#ids.values()) {
      if (state.open?.timer !== undefined) this.host.clock.clearTimeout(state.open.timer)
    }
  }

  #open(transactionalId: string): OpenTransaction {
    const state = this.#ids.get(transactionalId)!
    if (state.open === undefined) {
      const open: OpenTransaction = { partitions: new Set(), offsets: new Map(), timer: undefined }
      state.open = open
      open.timer = this.host.clock.setTimeout(
        () => {
          open.timer = undefined
          if (state.open !== open) return
          // Kafka's coordinator aborts a transaction past its timeout and fences its producer.
          void this.#serial(transactionalId, async () => {
            if (state.open !== open) return
            await this.#end(transactionalId, state, false)
            state.expired = true
          }).catch(() => undefined)
        },
        state.timeoutMs,
        { unref: true },
      )
    }
    return state.open
  }

  async #end(transactionalId: string, state: IdState, commit: boolean): Promise<void> {
    const open = state.open
    if (open === undefined) return
    if (open.timer !== undefined) this.host.clock.clearTimeout(open.timer)
    const entry = await this.#log(transactionalId, state, commit ? 'PrepareCommit' : 'PrepareAbort', open)
    state.open = undefined
    await this.#finish(entry, commit)
  }

  /** Markers to every partition, offsets (on commit), then the completion is logged. */
  async #finish(entry: TransactionStateEntry, commit: boolean): Promise<void> {
    const now = this.host.clock.now()
    for (const [topic, index] of entry.partitions) {
      const partition = this.host.partition(topic, index)
      // A partition that has no open transaction of this producer any more was marked before a crash.
      if (
        partition === undefined ||
        !partition.live ||
        !partition.transactions.openTransactions.has(entry.producerId)
      )
        continue
      await partition.append(
        controlBatch(commit ? ControlType.Commit : ControlType.Abort, entry.producerId, entry.epoch, now),
      )
    }
    if (commit)
      for (const { groupId, offsets } of entry.offsets) await this.host.commitOffsets(groupId, offsets)
    const done: TransactionStateEntry = {
      ...entry,
      status: commit ? 'CompleteCommit' : 'CompleteAbort',
      partitions: [],
      offsets: [],
    }
    await (await this.host.stateLog(true)).append(stateRecord(done, now))
  }

  async #log(
    transactionalId: string,
    state: IdState,
    status: TransactionStatus,
    open: OpenTransaction | undefined,
  ): Promise<TransactionStateEntry> {
    const entry: TransactionStateEntry = {
      transactionalId,
      producerId: state.producerId,
      epoch: state.epoch,
      status,
      partitions: open === undefined ? [] : [...open.partitions].map((p) => [p.topic, p.partition]),
      offsets:
        open === undefined
          ? []
          : [...open.offsets].map(([groupId, offsets]) => ({ groupId, offsets: [...offsets.values()] })),
    }
    await (await this.host.stateLog(true)).append(stateRecord(entry, this.host.clock.now()))
    return entry
  }

  #serial<T>(transactionalId: string, task: () => Promise<T>): Promise<T> {
    let queue = this.#queues.get(transactionalId)
    if (queue === undefined) {
      queue = new SerialQueue()
      this.#queues.set(transactionalId, queue)
    }
    return queue.run(task)
  }
}
