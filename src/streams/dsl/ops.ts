import { InvalidConfigError } from '../../index'
import { joinWindowStore, outerJoinBuffer } from '../state/specs'
import type { TopologyBuilder } from '../topology/builder'
import { FunctionNode, type NodeSpec, type TableNode } from '../topology/node'
import { SinkNode, StreamSourceNode } from '../topology/sources'
import { type JoinFn, StreamJoinSideNode, StreamTableJoinNode } from '../topology/stream-joins'
import { type JoinKind, TableJoinNode, TableJoinSideNode } from '../topology/table-join'
import type { JoinWindows } from '../windows'

/** Checks that a DSL argument is a function, with a clear error where it is given. */
export function checkFunction(name: string, fn: unknown): void {
  if (typeof fn !== 'function') throw new InvalidConfigError(`streams.${name}`, 'must be a function')
}

/**
 * Routes records through a repartition topic (Kafka's repartition after a key change): a sink to
 * `<applicationId>-<name>-repartition`, and a source reading it back in a new sub-topology. Records
 * whose key is null are dropped first when the next operation would ignore them (an aggregation).
 */
export function throughRepartition(
  builder: TopologyBuilder,
  parent: NodeSpec,
  name: string,
  partitions: number | undefined,
  dropNullKeys: boolean,
): NodeSpec {
  const topic = builder.repartitionTopic(name, partitions)
  let upstream = parent
  if (dropNullKeys) {
    upstream = builder.add(
      new FunctionNode(
        `${name}-repartition-filter`,
        [parent],
        (forward) => (key, value, timestamp, headers) => {
          if (key !== null && key !== undefined) forward(key, value, timestamp, headers, undefined)
        },
      ),
    )
  }
  builder.add(new SinkNode(`${name}-repartition-sink`, upstream, topic))
  return builder.add(new StreamSourceNode(`${name}-repartition-source`, [topic]))
}

/** A windowed stream–stream join: two side processors and the node both forward into. */
export function streamStreamJoin(
  builder: TopologyBuilder,
  left: NodeSpec,
  right: NodeSpec,
  windows: JoinWindows,
  joiner: JoinFn,
  kind: JoinKind,
  name: string,
): NodeSpec {
  const retentionMs = windows.beforeMs + windows.afterMs + windows.graceMs
  const stores = {
    left: builder.addStore(joinWindowStore(`${name}-this-store`, retentionMs)),
    right: builder.addStore(joinWindowStore(`${name}-other-store`, retentionMs)),
    unmatched: kind === 'inner' ? undefined : builder.addStore(outerJoinBuffer(`${name}-outer-store`)),
  }
  const thisSide = builder.add(
    new StreamJoinSideNode(`${name}-this-join`, left, stores, windows, joiner, true, kind !== 'inner'),
  )
  const otherSide = builder.add(
    new StreamJoinSideNode(`${name}-other-join`, right, stores, windows, joiner, false, kind === 'outer'),
  )
  thisSide.partner = otherSide
  otherSide.partner = thisSide
  return builder.add(new FunctionNode(`${name}-merge`, [thisSide, otherSide], (forward) => forward))
}

/** A stream–table join node. */
export function streamTableJoin(
  builder: TopologyBuilder,
  stream: NodeSpec,
  table: TableNode,
  joiner: JoinFn,
  left: boolean,
  name: string,
): NodeSpec {
  return builder.add(new StreamTableJoinNode(name, stream, table, joiner, left))
}

/** A table–table join: a side processor per table, and the joined table. */
export function tableTableJoin(
  builder: TopologyBuilder,
  left: TableNode,
  right: TableNode,
  joiner: JoinFn,
  kind: JoinKind,
  name: string,
): TableJoinNode {
  const leftSide = builder.add(new TableJoinSideNode(`${name}-left`, left, right, kind, joiner, true))
  const rightSide = builder.add(new TableJoinSideNode(`${name}-right`, right, left, kind, joiner, false))
  return builder.add(new TableJoinNode(name, [leftSide, rightSide], left, right, kind, joiner))
}
