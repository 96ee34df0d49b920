import type { Bus, TopicDeclarations } from '../../index'
import type { KeyValueStore } from '../state/key-value-store'
import type { StoreSpec } from '../state/store'
import type { AnyTopic } from '../topology/node'
import { TableSourceNode } from '../topology/sources'
import { replayCommitted, replayPartition } from './restore'
import type { Task } from './task'

/** What restoring a task needs from its application. */
export interface RestoreContext {
  readonly bus: Bus<TopicDeclarations>
  readonly applicationId: string
  readonly views: ReadonlyMap<string, AnyTopic>
  /** Exactly-once: changelogs are read as read_committed. */
  readonly exactlyOnce: boolean
  changelogTopic(store: string): string
  restored(store: string, partition: number, records: number): void
}

/**
 * Fills a new task's stores before it processes anything: each store from its changelog partition
 * (every record, in order: the last of a key wins), a table read from a topic from that topic up to
 * the application's committed offset. Also takes the committed offsets as the task's starting point.
 */
export async function restoreTask(task: Task, ctx: RestoreContext): Promise<void> {
  const group = ctx.bus.group(ctx.applicationId)
  for (const topic of task.topics) {
    const committed = group.committedOffset(topic, task.partition)
    if (committed !== undefined) task.committed.set(topic, committed)
  }
  const replay = ctx.exactlyOnce
    ? (view: AnyTopic, until: number, apply: Apply) =>
        replayCommitted(ctx.bus, view, task.partition, until, apply)
    : (view: AnyTopic, until: number, apply: Apply) => replayPartition(view, task.partition, until, apply)
  for (const [spec, store] of task.stores) {
    let records: number
    if (spec.restoreFrom === 'changelog') {
      const view = ctx.views.get(ctx.changelogTopic(spec.name))!
      records = await replay(view, Number.POSITIVE_INFINITY, (key, value, timestamp) =>
        store.restore(key as string, value, timestamp),
      )
    } else {
      const topic = sourceTopicOf(task, spec)
      const table = store as KeyValueStore
      const until = group.committedOffset(topic, task.partition) ?? 0
      records = await replay(ctx.views.get(topic)!, until, (key, value, timestamp) => {
        if (key !== null && key !== undefined) table.restoreRecord(key, value, timestamp)
      })
    }
    store.restored()
    ctx.restored(spec.name, task.partition, records)
  }
}

type Apply = (key: unknown, value: unknown, timestamp: number) => void

function sourceTopicOf(task: Task, spec: StoreSpec): string {
  for (const [topic, { node }] of task.sub.sources) {
    if (node instanceof TableSourceNode && node.store === spec) return topic
  }
  throw new Error(`no source topic for store ${spec.name}`)
}
