import { keyId } from '../state/key-id'
import { type Forward, NodeSpec, type TableGetter, TableNode, type TableRow, type TaskContext } from './node'
import type { JoinFn } from './stream-joins'

/** Inner, left or outer. */
export type JoinKind = 'inner' | 'left' | 'outer'

/** The join result of a left and a right value (null: no row), or null when the join has no row. */
function joinRow(kind: JoinKind, joiner: JoinFn, left: unknown, right: unknown, key: unknown): unknown {
  if (kind === 'inner') return left !== null && right !== null ? joiner(left, right, key) : null
  if (kind === 'left') return left !== null ? joiner(left, right, key) : null
  return left !== null || right !== null ? joiner(left, right, key) : null
}

function rowValue(row: { value: unknown } | undefined): unknown {
  return row === undefined ? null : row.value
}

/**
 * One side of a table–table join (Kafka's `KTableKTableJoin` and its left/outer variants): a change of
 * this side is joined with the other side's current row. The result's new and previous rows are both
 * computed (joiners must be pure), so a change that removes a result forwards a tombstone, and one
 * that affects no result forwards nothing — the rules of Kafka's join semantics tables.
 */
export class TableJoinSideNode extends NodeSpec {
  constructor(
    name: string,
    parent: TableNode,
    private readonly other: TableNode,
    private readonly kind: JoinKind,
    private readonly joiner: JoinFn,
    private readonly isLeft: boolean,
  ) {
    super(name, [parent])
  }

  override peers(): readonly NodeSpec[] {
    return [this.other]
  }

  override get joins(): boolean {
    return true
  }

  instantiate(ctx: TaskContext, forward: Forward): Forward {
    const lookup = this.other.getter(ctx)
    const { kind, joiner, isLeft } = this
    const result = (own: unknown, theirs: unknown, key: unknown): unknown =>
      isLeft ? joinRow(kind, joiner, own, theirs, key) : joinRow(kind, joiner, theirs, own, key)
    return (key, value, timestamp, headers, old) => {
      if (key === null || key === undefined) return
      const row = lookup(key)
      const theirs = rowValue(row)
      const next = result(value ?? null, theirs, key)
      const before =
        old === null || old === undefined
          ? kind === 'outer'
            ? result(null, theirs, key)
            : null
          : result(old, theirs, key)
      if (next === null && before === null) return
      const stamp = row === undefined ? timestamp : Math.max(timestamp, row.timestamp)
      forward(key, next, stamp, headers, before)
    }
  }
}

/** The table a table–table join makes: computed from both tables, as Kafka's join value getter. */
export class TableJoinNode extends TableNode {
  constructor(
    name: string,
    sides: readonly [TableJoinSideNode, TableJoinSideNode],
    private readonly left: TableNode,
    private readonly right: TableNode,
    private readonly kind: JoinKind,
    private readonly joiner: JoinFn,
  ) {
    super(name, sides)
  }

  instantiate(_ctx: TaskContext, forward: Forward): Forward {
    return forward
  }

  getter(ctx: TaskContext): TableGetter {
    const left = this.left.getter(ctx)
    const right = this.right.getter(ctx)
    const { kind, joiner } = this
    return (key) => {
      const l = left(key)
      const r = right(key)
      const value = joinRow(kind, joiner, rowValue(l), rowValue(r), key)
      if (value === null) return undefined
      return {
        value,
        timestamp: Math.max(
          l?.timestamp ?? Number.NEGATIVE_INFINITY,
          r?.timestamp ?? Number.NEGATIVE_INFINITY,
        ),
      }
    }
  }

  *rows(ctx: TaskContext): Iterable<TableRow> {
    const get = this.getter(ctx)
    const seen = new Set<string>()
    const sides = this.kind === 'outer' ? [this.left, this.right] : [this.left]
    for (const side of sides) {
      for (const row of side.rows(ctx)) {
        const id = keyId(row.key)
        if (seen.has(id)) continue
        seen.add(id)
        const joined = get(row.key)
        if (joined !== undefined) yield { key: row.key, value: joined.value, timestamp: joined.timestamp }
      }
    }
  }
}
