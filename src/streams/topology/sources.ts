import type { KeyValueStore } from '../state/key-value-store'
import type { StoreSpec } from '../state/store'
import { MaterializedTableNode, upsertProcessor } from './materialized'
import { type AnyTopic, type Forward, NodeSpec, type TaskContext } from './node'

/**
 * A topic a source reads. A user topic is named (resolved through the bus's declarations when the
 * application starts) or given as a typed view; an internal repartition topic is made by the
 * application, with `partitions` fixed when it starts (given, or derived from the topology).
 */
export class SourceTopic {
  constructor(
    readonly name: string,
    readonly view: AnyTopic | undefined,
    readonly repartition: { readonly partitions: number | undefined } | undefined,
  ) {}
}

/** Where records enter a sub-topology: they go on as they are. */
export class StreamSourceNode extends NodeSpec {
  constructor(
    name: string,
    readonly topics: readonly SourceTopic[],
  ) {
    super(name, [])
  }

  instantiate(_ctx: TaskContext, forward: Forward): Forward {
    return forward
  }
}

/**
 * A table read from a topic (Kafka's `KTableSource`): each record upserts its key, a null value
 * deletes it, a null key is ignored; each change goes on with the key's previous value. The topic is
 * the store's changelog: restoring replays it up to the committed offset.
 */
export class TableSourceNode extends MaterializedTableNode {
  constructor(
    name: string,
    readonly topic: SourceTopic,
    store: StoreSpec<KeyValueStore>,
  ) {
    super(name, [], store)
  }

  get topics(): readonly SourceTopic[] {
    return [this.topic]
  }

  instantiate(ctx: TaskContext, forward: Forward): Forward {
    return upsertProcessor(ctx.store(this.store), forward)
  }
}

/** Writes records to a topic through its codecs (Kafka's `to`). */
export class SinkNode extends NodeSpec {
  constructor(
    name: string,
    parent: NodeSpec,
    readonly topic: string | AnyTopic | SourceTopic,
  ) {
    super(name, [parent])
  }

  instantiate(ctx: TaskContext): Forward {
    const topic = this.topic
    // A repartition topic by its name: the runtime resolves it to the view it made.
    return ctx.emitter(topic instanceof SourceTopic ? topic.name : topic)
  }
}
