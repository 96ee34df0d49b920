import type { RecordHeaders, Topic } from '../../index'
import type { StateStore, StoreSpec } from '../state/store'

/**
 * Hands a record to the next processors. Stream records pass `old` as undefined; table changes pass
 * the key's previous value (null: there was none) and a null `value` for a deletion.
 */
export type Forward = (
  key: unknown,
  value: unknown,
  timestamp: number,
  headers: RecordHeaders,
  old: unknown,
) => void

/** A forward that goes nowhere: processors skip work nobody would see. */
export const NO_FORWARD: Forward = () => {}

/** A value of a table with the timestamp it was written with. */
export interface StampedValue {
  readonly value: unknown
  readonly timestamp: number
}

/** Looks a key up in a table as the task sees it now (Kafka's `KTableValueGetter`). */
export type TableGetter = (key: unknown) => StampedValue | undefined

/** A table entry as a query returns it. */
export interface TableRow {
  readonly key: unknown
  readonly value: unknown
  readonly timestamp: number
}

/** A topic a source reads or a sink writes: a name (resolved when the application starts) or a view. */
export type AnyTopic = Topic<unknown, unknown, unknown, unknown>

/** What the processors of one task (one sub-topology, one partition) get from the runtime. */
export interface TaskContext {
  readonly applicationId: string
  readonly taskId: string
  readonly partition: number
  /** The task's instance of a store (created on first use; restored before the task processes). */
  store<S extends StateStore>(spec: StoreSpec<S>): S
  /** A function that queues records for a topic; they are sent when the batch being processed is done. */
  emitter(
    topic: string | AnyTopic,
  ): (key: unknown, value: unknown, timestamp: number, headers: RecordHeaders) => void
  /** A record was dropped because the window it belongs to had closed. */
  late(processor: string, key: unknown, timestamp: number, streamTime: number): void
}

/**
 * One node of the processor topology, as the DSL builds it: a description, instantiated once per task.
 * Nodes link to their parents (records flow from parents to children); `peers` are nodes whose state a
 * node reads without records flowing between them (a stream–table join reads the table).
 */
export abstract class NodeSpec {
  readonly children: NodeSpec[] = []
  readonly parents: readonly NodeSpec[]

  constructor(
    readonly name: string,
    parents: readonly NodeSpec[],
  ) {
    this.parents = parents
    for (const parent of parents) parent.children.push(this)
  }

  /** This node's processor in a task; `forward` reaches its children. */
  abstract instantiate(ctx: TaskContext, forward: Forward): Forward

  /** This node's processor given its children's processors, in `children` order. */
  processor(ctx: TaskContext, children: readonly Forward[]): Forward {
    return this.instantiate(ctx, fanOut(children))
  }

  /** The stores this node owns. */
  stores(): readonly StoreSpec[] {
    return []
  }

  /** Nodes whose state this node reads (they run in the same task). */
  peers(): readonly NodeSpec[] {
    return []
  }

  /** Whether the inputs of this node must be co-partitioned (a join). */
  get joins(): boolean {
    return false
  }
}

/** One forward that reaches every processor of `targets`. */
export function fanOut(targets: readonly Forward[]): Forward {
  if (targets.length === 0) return NO_FORWARD
  if (targets.length === 1) return targets[0]!
  if (targets.length === 2) {
    const [a, b] = targets as [Forward, Forward]
    return (key, value, timestamp, headers, old) => {
      a(key, value, timestamp, headers, old)
      b(key, value, timestamp, headers, old)
    }
  }
  return (key, value, timestamp, headers, old) => {
    for (const target of targets) target(key, value, timestamp, headers, old)
  }
}

/** A node whose processor is a plain function of its forward: every stateless operation. */
export class FunctionNode extends NodeSpec {
  constructor(
    name: string,
    parents: readonly NodeSpec[],
    private readonly make: (forward: Forward) => Forward,
  ) {
    super(name, parents)
  }

  instantiate(_ctx: TaskContext, forward: Forward): Forward {
    return this.make(forward)
  }
}

/**
 * A node that is a table: besides passing changes on, it answers lookups (joins, queries) and lists
 * its rows (queries). Materialized tables read their store; derived ones (filter, mapValues, joins)
 * compute from their parents, as Kafka's value getters do, so they need no state of their own.
 */
export abstract class TableNode extends NodeSpec {
  abstract getter(ctx: TaskContext): TableGetter
  abstract rows(ctx: TaskContext): Iterable<TableRow>
}
