import { keyId } from '../state/key-id'
import type { SessionEntry, SessionStore } from '../state/session-store'
import type { StoreSpec } from '../state/store'
import { type SessionWindows, type Windowed, windowed } from '../windows'
import type { AddFn } from './aggregate'
import {
  type Forward,
  NO_FORWARD,
  type NodeSpec,
  type TableGetter,
  type TableRow,
  type TaskContext,
} from './node'
import { WindowedTableNode } from './window-aggregate'

/** Merges two sessions' aggregates (Kafka's `Merger`: key, aggregate, aggregate). */
export type MergeFn = (key: unknown, left: unknown, right: unknown) => unknown

/**
 * A session window aggregation (Kafka's `KStreamSessionWindowAggregate`). A record at `t` joins every
 * session of its key within the inactivity gap (`end >= t - gap` and `start <= t + gap`): they merge
 * into one session (their aggregates combined with `merge`, the old sessions removed and announced
 * with a null value), and the record is added. A merged session ending before
 * `streamTime - grace - gap` has closed: the record is dropped and reported late.
 */
export class SessionWindowAggregateNode extends WindowedTableNode {
  constructor(
    name: string,
    parent: NodeSpec,
    readonly store: StoreSpec<SessionStore>,
    private readonly windows: SessionWindows,
    private readonly init: () => unknown,
    private readonly add: AddFn,
    private readonly merge: MergeFn,
  ) {
    super(name, [parent])
  }

  get closeAfterMs(): number {
    return this.windows.inactivityGapMs + this.windows.graceMs
  }

  override stores(): readonly StoreSpec[] {
    return [this.store]
  }

  instantiate(ctx: TaskContext, forward: Forward): Forward {
    const store = ctx.store(this.store)
    const { init, add, merge, name } = this
    const gap = this.windows.inactivityGapMs
    const grace = this.windows.graceMs
    const forwards = forward !== NO_FORWARD
    return (key, value, t, headers) => {
      if (key === null || key === undefined || value === null || value === undefined) return
      store.advance(t)
      const closeTime = store.streamTime - grace - gap
      const id = keyId(key)
      const overlapping = store.find(id, t - gap, t + gap)
      let start = t
      let end = t
      let aggregate = init()
      for (const session of overlapping) {
        aggregate = merge(key, aggregate, session.value)
        if (session.start < start) start = session.start
        if (session.end > end) end = session.end
      }
      if (end < closeTime) {
        ctx.late(name, key, t, store.streamTime)
        return
      }
      // As Kafka: every merged session is removed, and announced gone unless the record fell inside
      // a session of its own timestamp (which is then simply replaced).
      const announce = forwards && (start !== t || end !== t)
      for (const session of overlapping) {
        store.delete(session)
        if (announce)
          forward(windowed(key, session.start, session.end), null, session.end, headers, session.value)
      }
      const next = add(key, value, aggregate)
      store.put(id, key, start, end, next)
      if (forwards) forward(windowed(key, start, end), next, end, headers, null)
    }
  }

  getter(ctx: TaskContext): TableGetter {
    const store = ctx.store(this.store)
    return (key) => {
      const { key: inner, window } = key as Windowed<unknown>
      const session = store
        .find(keyId(inner), window.end, window.start)
        .find((s) => s.start === window.start && s.end === window.end)
      return session === undefined ? undefined : sessionRow(session)
    }
  }

  rows(ctx: TaskContext): Iterable<TableRow> {
    return ctx.store(this.store).all().map(sessionRow)
  }

  fetch(ctx: TaskContext, key: unknown, from: number, to: number): TableRow[] {
    return ctx
      .store(this.store)
      .find(keyId(key), from, to)
      .filter((s) => s.start >= from && s.start <= to)
      .map(sessionRow)
  }

  fetchAll(ctx: TaskContext, from: number, to: number): TableRow[] {
    return ctx
      .store(this.store)
      .all()
      .filter((s) => s.start >= from && s.start <= to)
      .map(sessionRow)
  }
}

function sessionRow(session: SessionEntry): TableRow {
  return {
    key: windowed(session.key, session.start, session.end),
    value: session.value,
    timestamp: session.end,
  }
}
