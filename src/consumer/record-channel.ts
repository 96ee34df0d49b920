import { type Deferred, deferred } from '../util/deferred'

/** Rejects a pending hand-off when the iteration ends; the consumer sees it as "not processed". */
export class ChannelClosed extends Error {}

interface Offer<R> {
  readonly record: R
  readonly processed: Deferred<void>
  handedOut: boolean
}

/**
 * Hands records from the consumer's fetch loop to a `for await` loop one at a time. A record counts
 * as processed when the loop asks for the next one, that is once the loop body ran to completion.
 */
export class RecordChannel<R> {
  #offer: Offer<R> | undefined
  #waiting: Deferred<IteratorResult<R>> | undefined
  #closed = false

  /** Called by the fetch loop (one record at a time); resolves once the record was processed. */
  offer(record: R): Promise<void> {
    if (this.#closed) return Promise.reject(new ChannelClosed())
    const offer: Offer<R> = { record, processed: deferred(), handedOut: false }
    this.#offer = offer
    const waiting = this.#waiting
    if (waiting !== undefined) {
      this.#waiting = undefined
      offer.handedOut = true
      waiting.resolve({ done: false, value: record })
    }
    return offer.processed.promise
  }

  /** Called by the iterator's `next()`: acknowledges the record handed out last, then waits for one. */
  take(): Promise<IteratorResult<R>> {
    const offer = this.#offer
    if (offer?.handedOut) {
      this.#offer = undefined
      offer.processed.resolve()
    } else if (offer !== undefined && !this.#closed) {
      offer.handedOut = true
      return Promise.resolve({ done: false, value: offer.record })
    }
    if (this.#closed) return Promise.resolve({ done: true, value: undefined })
    this.#waiting ??= deferred()
    return this.#waiting.promise
  }

  /** Ends the iteration: a record handed out but not acknowledged stays unprocessed. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#offer?.processed.reject(new ChannelClosed())
    this.#offer = undefined
    this.#waiting?.resolve({ done: true, value: undefined })
    this.#waiting = undefined
  }
}
