import { InvalidConfigError, UnknownTopicError } from '../errors'
import type { TopicPartition } from '../record/log-record'
import type { CommittedOffset } from '../storage/storage'
import type { PartitionCore } from '../topic/partition-core'
import type { ProducerIdentity, TransactionCoordinator } from './coordinator'

export type { ProducerIdentity } from './coordinator'

/** What the transactions handle needs from its bus. */
export interface TransactionsHost {
  readonly coordinator: TransactionCoordinator
  partition(topic: string, partition: number): PartitionCore | undefined
  assertOpen(): void
}

/**
 * Options of `bus.transactions.initProducerId`.
 *
 * @example
 * ```ts
 * const options: InitProducerIdOptions = { transactionalId: 'etl-1', transactionTimeoutMs: 60_000 }
 * ```
 */
export interface InitProducerIdOptions {
  /** Kafka's transactional.id; null or absent for an idempotent producer without transactions. */
  transactionalId?: string | null
  /** How long a transaction may stay open before the coordinator aborts it; default 60000. */
  transactionTimeoutMs?: number
}

/**
 * The bus's transaction coordinator, for producers that are not in-process (`bus.producer()` uses it
 * on its own): Kafka's InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit and
 * EndTxn. Errors are Kafka's: ProducerFencedError for an identity that is not the transactional id's
 * current one, InvalidTransactionStateError, UnknownTopicError. Batches of the transaction are written
 * with `partition.appendEncoded`; read_committed readers see them once `end(…, true)` wrote the commit
 * markers.
 *
 * @example
 * ```ts
 * const tx = bus.transactions
 * const id = await tx.initProducerId({ transactionalId: 'etl-1' })
 * tx.addPartitions('etl-1', id, [{ topic: 'orders', partition: 0 }])
 * await bus.topic('orders').partition(0).appendEncoded(transactionalBatchOf(id))
 * await tx.end('etl-1', id, true)
 * ```
 */
export class Transactions {
  readonly #host: TransactionsHost

  /** @internal Use `bus.transactions`. */
  constructor(host: TransactionsHost) {
    this.#host = host
  }

  /**
   * Kafka's InitProducerId. With a transactional id: its producer id, with the epoch bumped (an
   * earlier producer of that id is fenced and its open transaction aborted). Without: a new producer
   * id at epoch 0 for an idempotent producer, never one handed out before on this storage.
   *
   * @example
   * ```ts
   * const { producerId, epoch } = await bus.transactions.initProducerId({ transactionalId: 'etl-1' })
   * ```
   */
  initProducerId(options: InitProducerIdOptions = {}): Promise<ProducerIdentity> {
    this.#host.assertOpen()
    const { transactionalId, transactionTimeoutMs = 60_000 } = options
    if (!Number.isSafeInteger(transactionTimeoutMs) || transactionTimeoutMs < 1) {
      throw new InvalidConfigError('transactionTimeoutMs', 'must be a positive integer')
    }
    if (transactionalId === undefined || transactionalId === null) {
      return this.#host.coordinator.allocateProducerId()
    }
    if (typeof transactionalId !== 'string' || transactionalId.length === 0) {
      throw new InvalidConfigError('transactionalId', 'must be a non-empty string')
    }
    return this.#host.coordinator.initProducer(transactionalId, transactionTimeoutMs)
  }

  /**
   * Throws unless `identity` is the transactional id's current producer (Kafka's AddOffsetsToTxn
   * check): ProducerFencedError.
   *
   * @example
   * ```ts
   * bus.transactions.check('etl-1', id)
   * ```
   */
  check(transactionalId: string, identity: ProducerIdentity): void {
    this.#host.assertOpen()
    this.#host.coordinator.check(transactionalId, identity)
  }

  /**
   * Kafka's AddPartitionsToTxn: the open transaction (started by the first call) will write to these
   * partitions, and its markers go there when it ends. UnknownTopicError for a partition that does
   * not exist (nothing is added then).
   *
   * @example
   * ```ts
   * bus.transactions.addPartitions('etl-1', id, [{ topic: 'orders', partition: 0 }])
   * ```
   */
  addPartitions(transactionalId: string, identity: ProducerIdentity, partitions: TopicPartition[]): void {
    this.#host.assertOpen()
    const cores = partitions.map(({ topic, partition }) => {
      const core = this.#host.partition(topic, partition)
      if (core === undefined || !core.live) throw new UnknownTopicError(topic, partition)
      return core
    })
    for (const core of cores) this.#host.coordinator.addPartition(transactionalId, identity, core)
  }

  /**
   * Kafka's TxnOffsetCommit: offsets `groupId` commits if, and when, the transaction commits.
   *
   * @example
   * ```ts
   * bus.transactions.addOffsets('etl-1', id, 'billing', [{ topic: 'orders', partition: 0, offset: 42 }])
   * ```
   */
  addOffsets(
    transactionalId: string,
    identity: ProducerIdentity,
    groupId: string,
    offsets: CommittedOffset[],
  ): void {
    this.#host.assertOpen()
    this.#host.coordinator.addOffsets(transactionalId, identity, groupId, offsets)
  }

  /**
   * Kafka's EndTxn: commits (markers, then the offsets) or aborts the open transaction; nothing open
   * is nothing to do.
   *
   * @example
   * ```ts
   * await bus.transactions.end('etl-1', id, true)
   * ```
   */
  end(transactionalId: string, identity: ProducerIdentity, commit: boolean): Promise<void> {
    this.#host.assertOpen()
    return this.#host.coordinator.end(transactionalId, identity, commit)
  }
}
