import type { BatchPayload, LogRecord, RecordRun } from '../../index'
import type { Task } from './task'

type AnyRecord = LogRecord<unknown, unknown>

/** A batch of one partition handed to a task that reads several: its runs, and the next record. */
interface Queue {
  readonly runs: readonly RecordRun[]
  /** The run of the next record, and the record's index in it. */
  run: number
  index: number
  /** The offset of the last record processed, or -1. */
  processed: number
  readonly payload: BatchPayload<AnyRecord>
  readonly done: () => void
}

/**
 * Whether `a`'s next record goes before `b`'s: the smaller timestamp; on a tie a table's update first,
 * so a stream record sees the table as of its own timestamp (what Kafka's versioned tables promise).
 */
function before(task: Task, a: Queue, b: Queue): boolean {
  const ta = a.runs[a.run]!.timestampAt(a.index)
  const tb = b.runs[b.run]!.timestampAt(b.index)
  if (ta !== tb) return ta < tb
  return task.isTable(a.payload.topic) && !task.isTable(b.payload.topic)
}

/** What the merger needs from the application. */
export interface MergeHost {
  /** Whether a partition has records that were not handed over yet (its fetch will deliver them). */
  hasPending(topic: string, partition: number): boolean
  /** Processes record `index` of a run of a task; false when the application must stop. */
  process(task: Task, run: RecordRun, index: number): boolean
  /** After a run of processing: sends what was produced. */
  processed(): void
}

/** Turns of the event loop spent re-checking with setImmediate before backing off to a timer. */
const EAGER_TURNS = 64

/**
 * Merges the partitions of a task that reads several (a join, a merge of topics) in timestamp order,
 * as Kafka Streams chooses the next record of a task (KIP-695 with `max.task.idle.ms` 0): the
 * record with the smallest timestamp among the partitions that have records (a table's first on a
 * tie), and when a partition
 * has none in hand but records are known to be in its log, the task waits for them. So a table
 * written before a stream is loaded before that stream joins it, whatever order partitions are
 * fetched in. Each partition's batch handler waits until its records are processed, which is why
 * the consumer runs one fetch loop per partition.
 */
export class RecordMerger {
  readonly #queues = new Map<Task, Map<string, Queue>>()
  readonly #waiting = new Set<Task>()
  #scheduled = false
  #turns = 0
  #timer: NodeJS.Timeout | undefined

  constructor(private readonly host: MergeHost) {}

  /** Hands a batch to its task; resolves once its records are processed (or the partition is gone). */
  enqueue(task: Task, payload: BatchPayload<AnyRecord>): Promise<void> {
    return new Promise((resolve) => {
      let queues = this.#queues.get(task)
      if (queues === undefined) {
        queues = new Map()
        this.#queues.set(task, queues)
      }
      const runs = payload.runs
      queues.set(payload.topic, { runs, run: 0, index: runs[0]!.from, processed: -1, payload, done: resolve })
      this.#drain(task)
      this.host.processed()
    })
  }

  /** Lets every waiting batch go without processing it (the application is stopping). */
  release(): void {
    for (const queues of this.#queues.values()) for (const queue of queues.values()) queue.done()
    this.#queues.clear()
    this.#waiting.clear()
    if (this.#timer !== undefined) clearTimeout(this.#timer)
  }

  /** Forgets a task's batches (its partitions were revoked: they go back unprocessed). */
  forget(task: Task): void {
    const queues = this.#queues.get(task)
    if (queues === undefined) return
    for (const queue of queues.values()) this.#finish(queues, queue)
    this.#queues.delete(task)
    this.#waiting.delete(task)
  }

  #drain(task: Task): void {
    const queues = this.#queues.get(task)
    if (queues === undefined) return
    for (;;) {
      let best: Queue | undefined
      for (const queue of queues.values()) {
        if (queue.payload.isStale() || !queue.payload.isRunning()) {
          this.#finish(queues, queue)
          continue
        }
        if (best === undefined || before(task, queue, best)) best = queue
      }
      if (best === undefined) {
        this.#queues.delete(task)
        return
      }
      for (const topic of task.topics) {
        if (!queues.has(topic) && this.host.hasPending(topic, task.partition)) {
          this.#wait(task)
          return
        }
      }
      const run = best.runs[best.run]!
      if (!this.host.process(task, run, best.index)) {
        for (const queue of queues.values()) this.#finish(queues, queue)
        this.#queues.delete(task)
        return
      }
      best.processed = run.offsetAt(best.index)
      if (++best.index === run.to && ++best.run < best.runs.length) best.index = best.runs[best.run]!.from
      if (best.run === best.runs.length) this.#finish(queues, best)
    }
  }

  #finish(queues: Map<string, Queue>, queue: Queue): void {
    if (queue.processed >= 0) queue.payload.resolveOffset(queue.processed)
    queues.delete(queue.payload.topic)
    queue.done()
  }

  #wait(task: Task): void {
    this.#waiting.add(task)
    if (this.#scheduled) return
    this.#scheduled = true
    // Waits are short (the other partition's batch is being fetched); a turn of the loop re-checks.
    if (this.#turns++ < EAGER_TURNS) setImmediate(this.#poll)
    else this.#timer = setTimeout(this.#poll, 1).unref()
  }

  readonly #poll = (): void => {
    this.#scheduled = false
    this.#timer = undefined
    const tasks = [...this.#waiting]
    this.#waiting.clear()
    for (const task of tasks) this.#drain(task)
    this.host.processed()
    if (this.#waiting.size === 0) this.#turns = 0
  }
}
