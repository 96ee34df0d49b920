import { keyId } from '../state/key-id'
import type { KeyValueStore } from '../state/key-value-store'
import type { StoreSpec } from '../state/store'
import {
  type Forward,
  type NodeSpec,
  type TableGetter,
  TableNode,
  type TableRow,
  type TaskContext,
} from './node'

/** A table kept in its own key-value store: lookups and queries read the store. */
export abstract class MaterializedTableNode extends TableNode {
  constructor(
    name: string,
    parents: readonly NodeSpec[],
    readonly store: StoreSpec<KeyValueStore>,
  ) {
    super(name, parents)
  }

  override stores(): readonly StoreSpec[] {
    return [this.store]
  }

  getter(ctx: TaskContext): TableGetter {
    const store = ctx.store(this.store)
    return (key) => store.lookup(keyId(key))
  }

  rows(ctx: TaskContext): Iterable<TableRow> {
    return ctx.store(this.store).sorted()
  }
}

/**
 * The processor of a table made from records (a topic read as a table, `toTable`): each record
 * upserts its key, a null value deletes it, a null key is ignored; each change goes on with the
 * key's previous value.
 */
export function upsertProcessor(store: KeyValueStore, forward: Forward): Forward {
  return (key, value, timestamp, headers) => {
    if (key === null || key === undefined) return
    const id = keyId(key)
    const existing = store.lookup(id)
    const old = existing === undefined ? null : existing.value
    if (value === null || value === undefined) {
      if (existing === undefined) return
      store.delete(id, timestamp)
      forward(key, null, timestamp, headers, old)
      return
    }
    store.put(id, key, value, timestamp, existing)
    forward(key, value, timestamp, headers, old)
  }
}
