import { keyId } from '../state/key-id'
import type { StoreSpec } from '../state/store'
import { type WindowEntry, type WindowStore, windowedKey } from '../state/window-store'
import type { TimeWindows, Windowed } from '../windows'
import type { AddFn } from './aggregate'
import {
  type Forward,
  NO_FORWARD,
  type NodeSpec,
  type TableGetter,
  TableNode,
  type TableRow,
  type TaskContext,
} from './node'

/**
 * A table of windows: keys are `Windowed<K>`, and it answers window fetches. Time and sliding
 * windows keep their state in a window store; session windows override the queries.
 */
export abstract class WindowedTableNode extends TableNode {
  abstract readonly store: StoreSpec
  /** How long after a window's end it still accepts records: what `suppress` waits for. */
  abstract readonly closeAfterMs: number

  /** The windows of a key whose start is in `[from, to]`. */
  abstract fetch(ctx: TaskContext, key: unknown, from: number, to: number): TableRow[]
  /** Every window whose start is in `[from, to]`. */
  abstract fetchAll(ctx: TaskContext, from: number, to: number): TableRow[]
}

/** What time and sliding window aggregations share: their store and its queries. */
export abstract class WindowStoreTableNode extends WindowedTableNode {
  abstract override readonly store: StoreSpec<WindowStore>

  override stores(): readonly StoreSpec[] {
    return [this.store]
  }

  getter(ctx: TaskContext): TableGetter {
    const store = ctx.store(this.store)
    return (key) => {
      const { key: inner, window } = key as Windowed<unknown>
      const entry = store.find(keyId(inner), window.start)
      return entry === undefined || entry.start <= store.streamTime - store.retentionMs ? undefined : entry
    }
  }

  rows(ctx: TaskContext): Iterable<TableRow> {
    return this.fetchAll(ctx, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY)
  }

  fetch(ctx: TaskContext, key: unknown, from: number, to: number): TableRow[] {
    return ctx.store(this.store).fetch(keyId(key), from, to).map(windowRow)
  }

  fetchAll(ctx: TaskContext, from: number, to: number): TableRow[] {
    return ctx.store(this.store).fetchAll(from, to).map(windowRow)
  }
}

export function windowRow(entry: WindowEntry): TableRow {
  return { key: windowedKey(entry), value: entry.value, timestamp: entry.timestamp }
}

/**
 * A tumbling or hopping window aggregation (Kafka's `KStreamWindowAggregate`): a record updates each
 * window it falls into that is still open (`end > streamTime - grace`); for a window already closed
 * it is dropped and reported late. Stream time is the largest timestamp this processor has seen.
 */
export class TimeWindowAggregateNode extends WindowStoreTableNode {
  constructor(
    name: string,
    parent: NodeSpec,
    readonly store: StoreSpec<WindowStore>,
    private readonly windows: TimeWindows,
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
    const { sizeMs, advanceMs, graceMs } = this.windows
    const forwards = forward !== NO_FORWARD
    return (key, value, timestamp, headers) => {
      if (key === null || key === undefined || value === null || value === undefined) return
      store.advance(timestamp)
      const closeTime = store.streamTime - graceMs
      const id = keyId(key)
      const from = Math.max(0, timestamp - sizeMs + advanceMs)
      for (let start = from - (from % advanceMs); start <= timestamp; start += advanceMs) {
        const end = start + sizeMs
        if (end <= closeTime) {
          ctx.late(name, key, timestamp, store.streamTime)
          continue
        }
        const entry = store.find(id, start)
        const old = entry === undefined ? null : entry.value
        const stamp = entry === undefined ? timestamp : Math.max(timestamp, entry.timestamp)
        const next = add(key, value, entry === undefined ? init() : old)
        const updated = store.put(id, key, start, end, next, stamp, entry)
        if (forwards) forward(windowedKey(updated), next, stamp, headers, old)
      }
    }
  }
}
