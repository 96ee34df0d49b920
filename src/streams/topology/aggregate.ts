import { keyId } from '../state/key-id'
import type { KeyValueStore } from '../state/key-value-store'
import type { StoreSpec } from '../state/store'
import { MaterializedTableNode } from './materialized'
import { type Forward, NO_FORWARD, type NodeSpec, type TaskContext } from './node'

/** Adds a record's value to a key's aggregate (Kafka's `Aggregator`: key, value, aggregate). */
export type AddFn = (key: unknown, value: unknown, aggregate: unknown) => unknown

/** The aggregate a reduction starts from: its first value. */
export const FIRST_VALUE: unique symbol = Symbol('first value')

/**
 * A rolling aggregation of a grouped stream (Kafka's `KStreamAggregate` / `KStreamReduce`): per key,
 * `add(key, value, aggregate)` from `init()`; records with a null key or value are skipped. Each
 * update goes on as a table change stamped with the largest timestamp that contributed.
 */
export class AggregateNode extends MaterializedTableNode {
  constructor(
    name: string,
    parent: NodeSpec,
    store: StoreSpec<KeyValueStore>,
    private readonly init: () => unknown,
    private readonly add: AddFn,
  ) {
    super(name, [parent], store)
  }

  instantiate(ctx: TaskContext, forward: Forward): Forward {
    const store = ctx.store(this.store)
    const { init, add } = this
    const forwards = forward !== NO_FORWARD
    return (key, value, timestamp, headers) => {
      if (key === null || key === undefined || value === null || value === undefined) return
      const id = keyId(key)
      const entry = store.lookup(id)
      const old = entry === undefined ? null : entry.value
      const stamp = entry === undefined ? timestamp : Math.max(timestamp, entry.timestamp)
      const next = add(key, value, entry === undefined ? init() : old)
      if (next === null || next === undefined) {
        if (entry === undefined) return
        store.delete(id, stamp)
        if (forwards) forward(key, null, stamp, headers, old)
        return
      }
      store.put(id, key, next, stamp, entry)
      if (forwards) forward(key, next, stamp, headers, old)
    }
  }
}

/** Kafka's `count()`: the number of records per key. */
export const countInit = (): number => 0
export const countAdd: AddFn = (_key, _value, count) => (count as number) + 1

/** Kafka's `reduce(reducer)`: the first value, then `reducer(aggregate, value)`. */
export function reduceAdd(reducer: (aggregate: unknown, value: unknown) => unknown): AddFn {
  return (_key, value, aggregate) => (aggregate === FIRST_VALUE ? value : reducer(aggregate, value))
}

export const reduceInit = (): unknown => FIRST_VALUE
