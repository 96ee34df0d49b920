import { keyId } from '../state/key-id'
import type { StoreSpec } from '../state/store'
import type { WindowEntry, WindowStore } from '../state/window-store'
import { type SlidingWindows, windowed } from '../windows'
import type { AddFn } from './aggregate'
import { type Forward, NO_FORWARD, type NodeSpec, type TaskContext } from './node'
import { WindowStoreTableNode } from './window-aggregate'

/** A window's aggregate and the largest record timestamp in it. */
interface Aggregate {
  readonly value: unknown
  readonly timestamp: number
}

/**
 * A sliding window aggregation (Kafka's `KStreamSlidingWindowAggregate`). Windows are
 * `[start, start + d]`, both bounds inclusive; each record has a left window ending at its timestamp
 * and, when later records fall within `d` of it, a right window starting just after it. So every
 * distinct set of records within `d` of each other is aggregated exactly once, and a new record only
 * touches the windows around it. A window accepts records while `end >= streamTime - grace`.
 *
 * One difference from Kafka: Kafka folds records with a timestamp below `d` (the first `d` ms after
 * the epoch) into one window starting at 0; logbus lets those windows start before 0.
 */
export class SlidingWindowAggregateNode extends WindowStoreTableNode {
  constructor(
    name: string,
    parent: NodeSpec,
    readonly store: StoreSpec<WindowStore>,
    private readonly windows: SlidingWindows,
    private readonly init: () => unknown,
    private readonly add: AddFn,
  ) {
    super(name, [parent])
  }

  get closeAfterMs(): number {
    return this.windows.graceMs
  }

  instantiate(ctx: TaskContext, forward: Forward): Forward {
    const store = ctx.store(this.store)
    const { init, add, name } = this
    const d = this.windows.timeDifferenceMs
    const grace = this.windows.graceMs
    const forwards = forward !== NO_FORWARD

    return (key, value, t, headers) => {
      if (key === null || key === undefined || value === null || value === undefined) return
      store.advance(t)
      const closeTime = store.streamTime - grace
      if (t + 1 + d <= closeTime) {
        ctx.late(name, key, t, store.streamTime)
        return
      }
      const id = keyId(key)

      // Adds the record to a window (existing, or new from `base`) unless the window has closed.
      const update = (start: number, base: Aggregate | null, existing: WindowEntry | undefined): void => {
        const end = start + d
        if (end < closeTime) {
          ctx.late(name, key, t, store.streamTime)
          return
        }
        const old = existing === undefined ? null : existing.value
        const stamp = base === null ? t : Math.max(t, base.timestamp)
        const next = add(key, value, base === null ? init() : base.value)
        store.put(id, key, start, end, next, stamp, existing)
        if (forwards) forward(windowed(key, start, end), next, stamp, headers, old)
      }

      const starts = new Set<number>()
      let leftAggregate: Aggregate | null = null
      let rightAggregate: Aggregate | null = null
      let leftCreated = false
      let rightCreated = false
      let previous: number | null = null

      for (const window of store.fetch(id, t - 2 * d, t + 1)) {
        const start = window.start
        const end = start + d
        starts.add(start)
        if (end < t) {
          leftAggregate = { value: window.value, timestamp: window.timestamp }
          previous = window.timestamp
        } else if (end === t) {
          leftCreated = true
          if (window.timestamp < t) previous = window.timestamp
          update(start, window, window)
        } else if (start <= t) {
          rightAggregate = { value: window.value, timestamp: window.timestamp }
          update(start, window, window)
        } else if (start === t + 1) {
          rightCreated = true
        }
      }

      // The previous record's right window now holds this record.
      if (previous !== null && !starts.has(previous + 1) && previous + 1 + d >= t) {
        update(previous + 1, null, undefined)
      }
      // This record's left window: the records within d before it, and itself.
      if (!leftCreated) {
        const nonEmpty = previous !== null && t - d <= previous
        update(t - d, nonEmpty ? leftAggregate : null, undefined)
      }
      // This record's right window, when later records (out of order) fall within d after it.
      if (!rightCreated && rightAggregate !== null && rightAggregate.timestamp > t) {
        const start = t + 1
        const stamp = rightAggregate.timestamp
        store.put(id, key, start, start + d, rightAggregate.value, stamp)
        if (forwards) forward(windowed(key, start, start + d), rightAggregate.value, stamp, headers, null)
      }
    }
  }
}
