import type { RecordRun } from '../../index'
import type { StateStore, StoreSpec } from '../state/store'
import type { AnyTopic, Forward, NodeSpec, TaskContext } from '../topology/node'
import type { Subtopology } from '../topology/plan'
import { TableSourceNode } from '../topology/sources'
import type { Emit } from './outputs'

/** What a task needs from the application running it. */
export interface TaskHost {
  readonly applicationId: string
  emitter(topic: string | AnyTopic): Emit
  late(task: Task, processor: string, key: unknown, timestamp: number, streamTime: number): void
}

/**
 * One task: a sub-topology over one partition number (Kafka's `StreamTask`). It owns the processors
 * and stores for that partition; it moves between instances whole, with its state (restored on the
 * new owner before it processes, dropped on the old one).
 */
export class Task {
  readonly id: string
  readonly stores = new Map<StoreSpec, StateStore>()
  /** Source topic → the next offset to process (one past the last record processed). */
  readonly positions = new Map<string, number>()
  /** Positions already committed (or where processing started): what a commit can skip. */
  readonly committed = new Map<string, number>()
  /** The record being processed (for late-record events): its run and its index in it. */
  #run: RecordRun | undefined
  #index = 0
  readonly #entries = new Map<string, Forward>()
  readonly #tables = new Set<string>()
  readonly ctx: TaskContext

  constructor(
    host: TaskHost,
    readonly sub: Subtopology,
    readonly partition: number,
  ) {
    this.id = `${sub.id}_${partition}`
    const task = this
    this.ctx = {
      applicationId: host.applicationId,
      taskId: this.id,
      partition,
      store<S extends StateStore>(spec: StoreSpec<S>): S {
        let store = task.stores.get(spec) as S | undefined
        if (store === undefined) {
          store = spec.create()
          task.stores.set(spec, store)
        }
        return store
      },
      emitter: (topic) => host.emitter(topic),
      late: (processor, key, timestamp, streamTime) => host.late(task, processor, key, timestamp, streamTime),
    }
    // Every store of the sub-topology exists from the start, so all are restored before processing.
    for (const spec of sub.stores) this.ctx.store(spec)
    const built = new Map<NodeSpec, Forward>()
    const build = (node: NodeSpec): Forward => {
      let processor = built.get(node)
      if (processor === undefined) {
        processor = node.processor(this.ctx, node.children.map(build))
        built.set(node, processor)
      }
      return processor
    }
    for (const [topic, { node }] of sub.sources) {
      if (partition < sub.partitions.get(topic)!) this.#entries.set(topic, build(node))
      if (node instanceof TableSourceNode) this.#tables.add(topic)
    }
  }

  /** The source topics this task reads (those with a partition of this number). */
  get topics(): string[] {
    return [...this.#entries.keys()]
  }

  /** Whether this task reads more than one partition (its records are merged by timestamp). */
  get merges(): boolean {
    return this.#entries.size > 1
  }

  /** Whether a source topic is read as a table. */
  isTable(topic: string): boolean {
    return this.#tables.has(topic)
  }

  /** The topic and offset of the record being processed. */
  get current(): { topic: string; offset: number } | undefined {
    const run = this.#run
    return run === undefined ? undefined : { topic: run.topic, offset: run.offsetAt(this.#index) }
  }

  /**
   * Processes the records of a run from index `from` up to `to` (the run's end by default), until one
   * throws: returns the index of the record that threw (its error in `failure`), or `to`. Reads the
   * run's columns: no record object.
   */
  processRun(run: RecordRun, from: number, failure: { error?: unknown }, to = run.to): number {
    const entry = this.#entries.get(run.topic)!
    this.#run = run
    let i = from
    try {
      for (; i < to; i++) {
        this.#index = i
        entry(run.keyAt(i), run.valueAt(i), run.timestampAt(i), run.headersAt(i), undefined)
      }
    } catch (error) {
      failure.error = error
    }
    return i
  }
}
