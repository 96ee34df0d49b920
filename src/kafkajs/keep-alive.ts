import type { Bus } from '../index'

/**
 * What keeps a process alive while a facade client is connected, as KafkaJS's open sockets do: a
 * KafkaJS service that only consumes stays up until `disconnect()`, and so must the same service on
 * logbus. One ref'd interval serves every connected client of the process; it goes when the last
 * one disconnects (or its bus closes), so nothing is left behind.
 */

/** Long enough never to fire in practice; the callback does nothing anyway. */
const IDLE_MS = 2 ** 31 - 1

let holders = 0
let handle: ReturnType<typeof setInterval> | undefined

/**
 * One client's hold on the process: `hold()` on connect, `release()` on disconnect; both idempotent.
 *
 * @example
 * ```ts
 * const alive = new KeepAlive()
 * alive.hold(bus) // connect
 * alive.release() // disconnect: the process may exit once nothing else holds it
 * ```
 */
export class KeepAlive {
  #held = false
  #stopWatching: (() => void) | undefined

  /** Holds the process open until `release()`, or until `bus` closes (the cluster went away). */
  hold(bus: Bus): void {
    if (this.#held) return
    this.#held = true
    this.#stopWatching = bus.once('close', () => this.release())
    if (holders++ === 0) handle = setInterval(() => undefined, IDLE_MS)
  }

  release(): void {
    if (!this.#held) return
    this.#held = false
    this.#stopWatching?.()
    this.#stopWatching = undefined
    if (--holders === 0 && handle !== undefined) {
      clearInterval(handle)
      handle = undefined
    }
  }
}
