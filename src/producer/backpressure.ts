import { BufferExhaustedError, RecordTooLargeError } from '../errors'
import type { Clock, ClockTimer } from '../util/clock'
import { type Deferred, deferred } from '../util/deferred'

/** A send waiting for buffer space, granted strictly in arrival order so sends keep their order. */
interface BlockedSend {
  readonly bytes: number
  readonly granted: Deferred<void>
  timer: ClockTimer | undefined
}

/**
 * Kafka's `buffer.memory`: bytes accepted but not yet stored never exceed `limit`. A send that does not
 * fit waits, behind every earlier waiter (so per-key order holds), up to `maxBlockMs`.
 */
export class SendBuffer {
  readonly #blocked: BlockedSend[] = []
  #used = 0

  constructor(
    private readonly clock: Clock,
    private readonly limit: number,
    private readonly maxBlockMs: number,
  ) {}

  /** Bytes accepted but not yet stored. */
  get used(): number {
    return this.#used
  }

  /** The wait of the last blocked send, if any. */
  get lastWait(): Promise<void> | undefined {
    return this.#blocked.at(-1)?.granted.promise
  }

  /** Takes `bytes` now (undefined), or returns the wait for them; throws when they can never fit. */
  reserve(topic: string, bytes: number): Promise<void> | undefined {
    const limit = this.limit
    if (bytes > limit) throw new RecordTooLargeError(topic, bytes, limit, 'bufferBytes')
    if (this.#blocked.length === 0 && this.#used + bytes <= limit) {
      this.#used += bytes
      return undefined
    }
    const maxBlockMs = this.maxBlockMs
    if (maxBlockMs === 0) {
      throw new BufferExhaustedError(`Producer buffer is full (${this.#used} of ${limit} bytes)`)
    }
    const entry: BlockedSend = { bytes, granted: deferred(), timer: undefined }
    entry.timer = this.clock.setTimeout(() => {
      const index = this.#blocked.indexOf(entry)
      if (index === -1) return
      this.#blocked.splice(index, 1)
      entry.granted.reject(
        new BufferExhaustedError(
          `Producer buffer stayed full for maxBlockMs ${maxBlockMs} (${this.#used} of ${limit} bytes)`,
        ),
      )
      this.#grant()
    }, maxBlockMs)
    this.#blocked.push(entry)
    return entry.granted.promise
  }

  /** Gives back the bytes of stored (or failed) records, and lets waiters in. */
  release(bytes: number): void {
    this.#used -= bytes
    if (this.#blocked.length > 0) this.#grant()
  }

  #grant(): void {
    while (this.#blocked.length > 0 && this.#used + this.#blocked[0]!.bytes <= this.limit) {
      const entry = this.#blocked.shift()!
      if (entry.timer !== undefined) this.clock.clearTimeout(entry.timer)
      this.#used += entry.bytes
      entry.granted.resolve()
    }
  }
}
