import { EMPTY_HEADERS } from '../../index'
import type { KeyValueStore } from '../state/key-value-store'
import type { StoreSpec } from '../state/store'
import type { SuppressBuffer } from '../state/suppress-buffer'
import type { Windowed } from '../windows'
import { MaterializedTableNode, upsertProcessor } from './materialized'
import {
  type Forward,
  type NodeSpec,
  type StampedValue,
  type TableGetter,
  TableNode,
  type TableRow,
  type TaskContext,
} from './node'
import type { WindowedTableNode } from './window-aggregate'

/**
 * `table.filter` (Kafka's `KTableFilter`): a row that does not match is not in the table. A change
 * goes on with both sides filtered, and not at all when neither side matches (nothing changed).
 */
export class TableFilterNode extends TableNode {
  constructor(
    name: string,
    private readonly parent: TableNode,
    private readonly predicate: (key: unknown, value: unknown) => boolean,
  ) {
    super(name, [parent])
  }

  instantiate(_ctx: TaskContext, forward: Forward): Forward {
    const predicate = this.predicate
    return (key, value, timestamp, headers, old) => {
      const next = value !== null && predicate(key, value) ? value : null
      const before = old !== null && old !== undefined && predicate(key, old) ? old : null
      if (next === null && before === null) return
      forward(key, next, timestamp, headers, before)
    }
  }

  getter(ctx: TaskContext): TableGetter {
    const parent = this.parent.getter(ctx)
    const predicate = this.predicate
    return (key) => {
      const row = parent(key)
      return row !== undefined && predicate(key, row.value) ? row : undefined
    }
  }

  *rows(ctx: TaskContext): Iterable<TableRow> {
    for (const row of this.parent.rows(ctx)) if (this.predicate(row.key, row.value)) yield row
  }
}

/** `table.mapValues` (Kafka's `KTableMapValues`): the same rows, each value mapped. */
export class TableMapValuesNode extends TableNode {
  constructor(
    name: string,
    private readonly parent: TableNode,
    private readonly mapper: (value: unknown, key: unknown) => unknown,
  ) {
    super(name, [parent])
  }

  instantiate(_ctx: TaskContext, forward: Forward): Forward {
    const mapper = this.mapper
    return (key, value, timestamp, headers, old) => {
      const next = value === null ? null : mapper(value, key)
      const before = old === null || old === undefined ? null : mapper(old, key)
      forward(key, next, timestamp, headers, before)
    }
  }

  getter(ctx: TaskContext): TableGetter {
    const parent = this.parent.getter(ctx)
    const mapper = this.mapper
    return (key): StampedValue | undefined => {
      const row = parent(key)
      return row === undefined ? undefined : { value: mapper(row.value, key), timestamp: row.timestamp }
    }
  }

  *rows(ctx: TaskContext): Iterable<TableRow> {
    for (const row of this.parent.rows(ctx)) {
      yield { key: row.key, value: this.mapper(row.value, row.key), timestamp: row.timestamp }
    }
  }
}

/** `stream.toTable()`: a materialized table of the stream's latest value per key (null deletes). */
export class ToTableNode extends MaterializedTableNode {
  constructor(name: string, parent: NodeSpec, store: StoreSpec<KeyValueStore>) {
    super(name, [parent], store)
  }

  instantiate(ctx: TaskContext, forward: Forward): Forward {
    return upsertProcessor(ctx.store(this.store), forward)
  }
}

/**
 * `suppress(Suppressed.untilWindowCloses())` (Kafka's `KTableSuppressProcessor` with final results):
 * each window's latest result is held until stream time passes the window's end plus its grace, then
 * emitted once; results of windows that were merged away (null) are dropped. Queries of the
 * suppressed table see the windowed table's current values.
 */
export class SuppressNode extends TableNode {
  constructor(
    name: string,
    private readonly parent: WindowedTableNode,
    readonly store: StoreSpec<SuppressBuffer>,
  ) {
    super(name, [parent])
  }

  override stores(): readonly StoreSpec[] {
    return [this.store]
  }

  instantiate(ctx: TaskContext, forward: Forward): Forward {
    const buffer = ctx.store(this.store)
    const closeAfterMs = this.parent.closeAfterMs
    return (key, value, timestamp) => {
      buffer.advance(timestamp)
      buffer.put(key as Windowed<unknown>, value, timestamp)
      for (const result of buffer.takeClosed(closeAfterMs)) {
        if (result.value !== null) forward(result.key, result.value, result.timestamp, EMPTY_HEADERS, null)
      }
    }
  }

  getter(ctx: TaskContext): TableGetter {
    return this.parent.getter(ctx)
  }

  rows(ctx: TaskContext): Iterable<TableRow> {
    return this.parent.rows(ctx)
  }
}
