import { InvalidConfigError, InvalidTransactionStateError } from '../errors'
import type { Message, RecordMetadata } from '../record/message'
import type { CommittedOffset } from '../storage/storage'
import type { Topic } from '../topic/topic'
import type { MessageFor, TopicMessages } from './send-types'

type AnyTopic = Topic<unknown, unknown, unknown, unknown>

/** What the producer keeps of a transaction: the first failure of its sends. */
export interface TransactionHandle {
  failure: unknown
}

/** What a transaction does through its producer. */
export interface TransactionHost {
  send(
    transaction: TransactionHandle,
    topic: string | AnyTopic,
    input: Message<unknown, unknown> | readonly Message<unknown, unknown>[],
  ): Promise<RecordMetadata | RecordMetadata[]>
  sendBatch(transaction: TransactionHandle, entries: readonly TopicMessages[]): Promise<RecordMetadata[][]>
  sendOffsets(groupId: string, offsets: CommittedOffset[]): void
  /** Stores every send of the transaction; rejects with the first failure. */
  settle(transaction: TransactionHandle): Promise<void>
  end(transaction: TransactionHandle, commit: boolean): Promise<void>
}

/**
 * One transaction of a transactional producer (`bus.producer({ transactionalId })`): its sends are
 * written at once but visible to `isolation: 'read_committed'` consumers only when it commits, and
 * never if it aborts; `sendOffsets` commits a group's offsets in the same atomic step (Kafka's
 * consume-transform-produce loop). `read_uncommitted` consumers see the records as they are written,
 * as in Kafka.
 *
 * @example
 * ```ts
 * const producer = bus.producer({ transactionalId: 'billing-1' })
 * const tx = await producer.transaction()
 * await tx.send('invoices', { key: 'o-1', value: 'invoice for o-1' })
 * await tx.sendOffsets({ groupId: 'billing', offsets: [{ topic: 'orders', partition: 0, offset: 43 }] })
 * await tx.commit()
 * ```
 */
export class Transaction<D = Record<never, never>> {
  #state: 'open' | 'ending' | 'committed' | 'aborted' = 'open'
  /** The first send of this transaction that failed: the transaction can then only abort. */
  failure: unknown

  /** @internal Use `producer.transaction()`. */
  constructor(private readonly host: TransactionHost) {}

  /**
   * Whether sends are still accepted (the transaction has not started to commit or abort).
   *
   * @example
   * ```ts
   * if (tx.isActive()) await tx.abort()
   * ```
   */
  isActive(): boolean {
    return this.#state === 'open'
  }

  /**
   * Sends in the transaction, as `producer.send` does (same checks, same typing).
   *
   * @example
   * ```ts
   * await tx.send('invoices', [{ value: 'a' }, { value: 'b' }])
   * ```
   */
  send<K, V, KIn, VIn>(topic: Topic<K, V, KIn, VIn>, message: Message<KIn, VIn>): Promise<RecordMetadata>
  send<K, V, KIn, VIn>(
    topic: Topic<K, V, KIn, VIn>,
    messages: readonly Message<KIn, VIn>[],
  ): Promise<RecordMetadata[]>
  send<N extends string>(topic: N, message: MessageFor<D, N>): Promise<RecordMetadata>
  send<N extends string>(topic: N, messages: readonly MessageFor<D, N>[]): Promise<RecordMetadata[]>
  send(
    topic: string | AnyTopic,
    input: Message<unknown, unknown> | readonly Message<unknown, unknown>[],
  ): Promise<RecordMetadata | RecordMetadata[]> {
    if (this.#state !== 'open') return Promise.reject(this.#ended('send'))
    return this.host.send(this, topic, input)
  }

  /**
   * Sends to several topics in the transaction, all or nothing, as `producer.sendBatch` does.
   *
   * @example
   * ```ts
   * await tx.sendBatch([{ topic: 'a', messages: [{ value: '1' }] }, { topic: 'b', messages: [{ value: '2' }] }])
   * ```
   */
  sendBatch(entries: readonly TopicMessages[]): Promise<RecordMetadata[][]> {
    if (this.#state !== 'open') return Promise.reject(this.#ended('send'))
    return this.host.sendBatch(this, entries)
  }

  /**
   * Commits a group's offsets with the transaction (each the next offset to read): they take effect if,
   * and when, the transaction commits (Kafka's sendOffsetsToTransaction).
   *
   * @example
   * ```ts
   * await tx.sendOffsets({ groupId: 'billing', offsets: [{ topic: 'orders', partition: 0, offset: 43 }] })
   * ```
   */
  async sendOffsets({ groupId, offsets }: { groupId: string; offsets: CommittedOffset[] }): Promise<void> {
    if (this.#state !== 'open') throw this.#ended('send offsets')
    if (typeof groupId !== 'string' || groupId.length === 0) {
      throw new InvalidConfigError('sendOffsets.groupId', 'must be a non-empty string')
    }
    if (!Array.isArray(offsets)) throw new InvalidConfigError('sendOffsets.offsets', 'must be an array')
    const list = offsets.map((o, i) => {
      if (typeof o?.topic !== 'string' || !Number.isInteger(o.partition) || o.partition < 0) {
        throw new InvalidConfigError(`sendOffsets.offsets.${i}`, 'expected { topic, partition, offset }')
      }
      if (!Number.isSafeInteger(o.offset) || o.offset < 0) {
        throw new InvalidConfigError(`sendOffsets.offsets.${i}.offset`, 'must be a non-negative integer')
      }
      return { topic: o.topic, partition: o.partition, offset: o.offset }
    })
    this.host.sendOffsets(groupId, list)
  }

  /**
   * Stores every send, then commits: the records become visible to read_committed consumers and the
   * offsets are committed, together. If a send failed, the transaction aborts instead and the commit
   * rejects with that failure.
   *
   * @example
   * ```ts
   * await tx.commit()
   * ```
   */
  async commit(): Promise<void> {
    if (this.#state !== 'open') throw this.#ended('commit')
    this.#state = 'ending'
    try {
      await this.host.settle(this)
    } catch (failure) {
      await this.host.end(this, false)
      this.#state = 'aborted'
      throw failure
    }
    await this.host.end(this, true)
    this.#state = 'committed'
  }

  /**
   * Aborts: read_committed consumers never see the transaction's records, and its offsets are not
   * committed.
   *
   * @example
   * ```ts
   * await tx.abort()
   * ```
   */
  async abort(): Promise<void> {
    if (this.#state !== 'open') throw this.#ended('abort')
    this.#state = 'ending'
    await this.host.settle(this).catch(() => undefined)
    await this.host.end(this, false)
    this.#state = 'aborted'
  }

  #ended(action: string): InvalidTransactionStateError {
    return new InvalidTransactionStateError(
      `Cannot ${action}: the transaction is ${this.#state === 'ending' ? 'ending' : this.#state}`,
    )
  }
}
