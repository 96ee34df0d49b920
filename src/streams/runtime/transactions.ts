import type { CommittedOffset, Message, Producer, RecordMetadata, Topic, Transaction } from '../../index'
import type { RecordSink } from './outputs'

type AnyTopic = Topic<unknown, unknown, unknown, unknown>

/**
 * The sink of an exactly-once application (Kafka's `exactly_once_v2`): every record the application
 * writes — outputs, repartition records, changelog records — goes into the producer's open
 * transaction, and a commit adds the input offsets to it (`sendOffsets`) and commits it: all of it
 * becomes visible to `read_committed` readers at once, or, if anything fails, none of it. A
 * transaction opens at the first record after a commit; records written while a commit is under way
 * wait for the next one (a producer has one transaction at a time).
 */
export class TransactionalSink implements RecordSink {
  #open: Promise<Transaction> | undefined
  #sends: Promise<unknown>[] = []
  /** Resolves when the last commit (or abort) has ended: the next transaction opens after it. */
  #previous: Promise<void> = Promise.resolve()

  constructor(private readonly producer: Producer) {}

  send(topic: string | AnyTopic, messages: readonly Message<unknown, unknown>[]): Promise<RecordMetadata[]> {
    const sent = this.#transaction().then((tx) =>
      typeof topic === 'string' ? tx.send(topic, messages as readonly Message[]) : tx.send(topic, messages),
    )
    this.#sends.push(sent)
    return sent
  }

  /**
   * Commits what was written since the last commit together with the input offsets `offsets` of the
   * group `groupId`. Rejects (the transaction aborted) with the first failure of its sends.
   */
  async commit(groupId: string, offsets: CommittedOffset[]): Promise<void> {
    if (this.#open === undefined && offsets.length === 0) return
    const { transaction, sends, ended } = this.#close()
    try {
      const tx = await transaction
      // A failed send makes the commit abort and reject with it: the sends' own rejections are that.
      await Promise.allSettled(sends)
      if (offsets.length > 0) await tx.sendOffsets({ groupId, offsets })
      await tx.commit()
    } finally {
      ended()
    }
  }

  /** Aborts the open transaction, if any: nothing written since the last commit becomes visible. */
  async abort(): Promise<void> {
    if (this.#open === undefined) return
    const { transaction, sends, ended } = this.#close()
    try {
      await Promise.allSettled(sends)
      const tx = await transaction
      if (tx.isActive()) await tx.abort()
    } finally {
      ended()
    }
  }

  /** Takes the open transaction and its sends; later sends go to the next transaction. */
  #close(): { transaction: Promise<Transaction>; sends: Promise<unknown>[]; ended: () => void } {
    const transaction = this.#transaction()
    const sends = this.#sends
    this.#sends = []
    this.#open = undefined
    let ended = (): void => undefined
    this.#previous = new Promise((resolve) => {
      ended = resolve
    })
    return { transaction, sends, ended }
  }

  #transaction(): Promise<Transaction> {
    this.#open ??= this.#previous.then(() => this.producer.transaction())
    return this.#open
  }
}
