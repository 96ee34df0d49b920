import type { JoinWindowStore, OuterJoinBuffer } from '../state/join-store'
import { keyId } from '../state/key-id'
import type { StoreSpec } from '../state/store'
import type { JoinWindows } from '../windows'
import { type Forward, NodeSpec, type TableNode, type TaskContext } from './node'

/** Combines the two sides of a join (Kafka's `ValueJoinerWithKey`, key last); null stands for no match. */
export type JoinFn = (left: unknown, right: unknown, key: unknown) => unknown

/**
 * A stream–table join (Kafka's `KStreamKTableJoin`): each stream record looks its key up in the table
 * as it is now; table updates trigger nothing. Records with a null value are skipped; an inner join
 * skips null keys and keys the table lacks, a left join passes them on with a null table value.
 */
export class StreamTableJoinNode extends NodeSpec {
  constructor(
    name: string,
    parent: NodeSpec,
    private readonly table: TableNode,
    private readonly joiner: JoinFn,
    private readonly left: boolean,
  ) {
    super(name, [parent])
  }

  override peers(): readonly NodeSpec[] {
    return [this.table]
  }

  override get joins(): boolean {
    return true
  }

  instantiate(ctx: TaskContext, forward: Forward): Forward {
    const lookup = this.table.getter(ctx)
    const { joiner, left } = this
    return (key, value, timestamp, headers) => {
      if (value === null || value === undefined) return
      const row = key === null || key === undefined ? undefined : lookup(key)
      if (row !== undefined) forward(key, joiner(value, row.value, key), timestamp, headers, undefined)
      else if (left) forward(key, joiner(value, null, key), timestamp, headers, undefined)
    }
  }
}

/** The stores both sides of a stream–stream join use. */
export interface StreamJoinStores {
  readonly left: StoreSpec<JoinWindowStore>
  readonly right: StoreSpec<JoinWindowStore>
  /** The records still without a match: left and outer joins only. */
  readonly unmatched: StoreSpec<OuterJoinBuffer> | undefined
}

/**
 * One side of a windowed stream–stream join (Kafka's `KStreamKStreamJoin`). A record is kept in its
 * side's window store, then joined with every record of the other side with the same key whose
 * timestamp is within the window (the output is stamped with the later of the two). On a side that
 * keeps unmatched records (the left of a left join, both of an outer join), a record without a match
 * waits in the buffer: a later match removes it; once stream time passes its window plus the grace
 * period it is emitted with a null partner. Stream time is shared by both sides.
 */
export class StreamJoinSideNode extends NodeSpec {
  /** The other side: both run in one task, and their inputs must be co-partitioned. */
  partner: StreamJoinSideNode | undefined

  constructor(
    name: string,
    parent: NodeSpec,
    private readonly stores_: StreamJoinStores,
    private readonly windows: JoinWindows,
    private readonly joiner: JoinFn,
    private readonly isLeft: boolean,
    private readonly keepsUnmatched: boolean,
  ) {
    super(name, [parent])
  }

  override stores(): readonly StoreSpec[] {
    const { left, right, unmatched } = this.stores_
    return unmatched === undefined ? [left, right] : [left, right, unmatched]
  }

  override peers(): readonly NodeSpec[] {
    return this.partner === undefined ? [] : [this.partner]
  }

  override get joins(): boolean {
    return true
  }

  instantiate(ctx: TaskContext, forward: Forward): Forward {
    const { isLeft, keepsUnmatched, joiner, name } = this
    const mine = ctx.store(isLeft ? this.stores_.left : this.stores_.right)
    const other = ctx.store(isLeft ? this.stores_.right : this.stores_.left)
    const buffer = this.stores_.unmatched === undefined ? undefined : ctx.store(this.stores_.unmatched)
    const { beforeMs, afterMs, graceMs } = this.windows
    // The right side looks at the window from the other end.
    const lookBefore = isLeft ? beforeMs : afterMs
    const lookAfter = isLeft ? afterMs : beforeMs
    const join = (own: unknown, theirs: unknown, key: unknown): unknown =>
      isLeft ? joiner(own, theirs, key) : joiner(theirs, own, key)

    const emitClosed = (streamTime: number, headers: Parameters<Forward>[3]): void => {
      if (buffer === undefined || buffer.minTime + lookAfter + graceMs >= streamTime) return
      let leftOpen = false
      let rightOpen = false
      for (const entry of buffer.sorted()) {
        if (leftOpen && rightOpen) break
        const lookBack = entry.left ? afterMs : beforeMs
        if (entry.timestamp + lookBack + graceMs >= streamTime) {
          if (entry.left) leftOpen = true
          else rightOpen = true
          continue
        }
        for (const value of entry.values) {
          const result = entry.left ? joiner(value, null, entry.key) : joiner(null, value, entry.key)
          forward(entry.key, result, entry.timestamp, headers, undefined)
        }
        buffer.remove(entry)
      }
      buffer.resetMinTime()
    }

    return (key, value, timestamp, headers) => {
      mine.advance(timestamp)
      const streamTime = Math.max(mine.streamTime, other.streamTime)
      if (value === null || value === undefined) return
      if (key === null || key === undefined) {
        if (keepsUnmatched) forward(key, join(value, null, key), timestamp, headers, undefined)
        return
      }
      const id = keyId(key)
      if (mine.expired(timestamp)) ctx.late(name, key, timestamp, streamTime)
      else mine.add(id, timestamp, value)
      if (timestamp === streamTime) emitClosed(streamTime, headers)

      const to = Math.max(0, timestamp + lookAfter)
      const matches = other.fetch(id, Math.max(0, timestamp - lookBefore), to)
      for (const match of matches) {
        buffer?.matched(!isLeft, id, match.timestamp)
        forward(key, join(value, match.value, key), Math.max(timestamp, match.timestamp), headers, undefined)
      }
      if (matches.length > 0 || !keepsUnmatched) return
      // A record whose window already passed (out of order) cannot be matched any more: emit it now.
      if (buffer === undefined || to < streamTime)
        forward(key, join(value, null, key), timestamp, headers, undefined)
      else buffer.add(isLeft, id, key, timestamp, value)
    }
  }
}
