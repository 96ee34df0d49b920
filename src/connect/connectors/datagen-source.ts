import { Datagen, quickstartNamed, type RandomState, SeededRandom } from '../../datagen'
import { InvalidConfigError } from '../../index'
import type { SourcePartition, SourceRecord } from '../record'
import { sleep } from '../runner-host'
import type { SourceConnectorPlugin, SourceTask, SourceTaskContext } from '../task'

/** Records generated per poll when `max.interval` is 0. */
const BATCH = 1000

/**
 * Confluent's DatagenTask: records of a quickstart, paced by `max.interval`. Source partition
 * `{ "task.id" }`, offset `{ "task.generation", "current.iteration", "random.state" }` — the state after
 * the record, so a restarted task continues the same stream exactly. Headers `task.generation`,
 * `task.id`, `current.iteration`, as Confluent's.
 */
class DatagenSourceTask implements SourceTask {
  #context!: SourceTaskContext
  #generator!: Datagen<object>
  #topic = ''
  #maxInterval = 500
  #generation = 0
  #partition: SourcePartition = {}
  #pauses: SeededRandom | undefined

  start(context: SourceTaskContext): void {
    this.#context = context
    const read = context.read
    this.#topic = read.string('kafka.topic')
    this.#maxInterval = read.int('max.interval', 500, 0)
    const iterations = read.int('iterations', 1_000_000)
    const seed = read.optionalString('random.seed')
    this.#partition = { 'task.id': context.taskId }
    const stored = context.offset(this.#partition)
    const taskSeed =
      seed === undefined ? undefined : context.taskId === 0 ? seedOf(seed) : `${seed}/task-${context.taskId}`
    let resume: { iteration: number; random: RandomState } | undefined
    if (stored !== null) {
      const iteration = stored['current.iteration']
      const random = stored['random.state']
      if (typeof iteration !== 'number' || !Array.isArray(random)) {
        throw new InvalidConfigError(`offset of datagen task ${context.taskId}`, 'is not a datagen offset')
      }
      resume = { iteration, random: random as unknown as RandomState }
      this.#generation = Number(stored['task.generation'] ?? 0)
    }
    this.#generator = new Datagen<object>({
      quickstart: quickstartNamed(read.string('quickstart')),
      seed: taskSeed,
      iterations: iterations < 1 ? undefined : iterations,
      keyField: read.optionalString('schema.keyfield'),
      resume,
    })
    if (this.#maxInterval > 0) {
      this.#pauses = new SeededRandom(taskSeed === undefined ? undefined : `${taskSeed}/pauses`)
    }
  }

  async poll(): Promise<SourceRecord[] | null> {
    const { signal, clock } = this.#context
    if (this.#generator.done) {
      // Confluent's task fails once it made `iterations` records; this one idles until stopped.
      await sleep(clock, 60_000, signal)
      return null
    }
    if (this.#pauses !== undefined) await sleep(clock, this.#pauses.next() * this.#maxInterval, signal)
    if (signal.aborted) return null
    const records: SourceRecord[] = []
    const count = this.#pauses === undefined ? BATCH : 1
    for (let i = 0; i < count; i++) {
      const iteration = this.#generator.iteration
      const next = this.#generator.next()
      if (next === undefined) break
      const state = this.#generator.state()
      records.push({
        sourcePartition: this.#partition,
        sourceOffset: {
          'task.generation': this.#generation + 1,
          'current.iteration': state.iteration,
          'random.state': [...state.random],
        },
        topic: this.#topic,
        key: next.key,
        value: next.value,
        headers: {
          'task.generation': String(this.#generation),
          'task.id': String(this.#context.taskId),
          'current.iteration': String(iteration),
        },
      })
    }
    return records
  }

  stop(): void {}
}

/** A configured seed: a number when it reads as one (so `random.seed: 42` matches `datagen({ seed: 42 })`). */
function seedOf(text: string): number | string {
  const n = Number(text)
  return Number.isSafeInteger(n) ? n : text
}

/**
 * Confluent's Datagen connector (`connector.class` `DatagenSource`, or
 * `io.confluent.kafka.connect.datagen.DatagenConnector`): `kafka.topic`, `quickstart` (users,
 * pageviews, orders, stock_trades, clickstream, transactions), `max.interval` (ms, default 500),
 * `iterations` (default 1000000; below 1: unlimited), `schema.keyfield`, `random.seed`, `tasks.max`
 * (each task its own stream; task 0's is `datagen({ seed })`'s). Delivery: at-least-once — after a crash
 * the records since the last stored offset are made again, identical.
 *
 * @example
 * ```ts
 * await worker.createConnector({ name: 'gen', config: { 'connector.class': 'DatagenSource', quickstart: 'orders', 'kafka.topic': 'orders' } })
 * ```
 */
export const datagenSource = Object.freeze<SourceConnectorPlugin>({
  type: 'source',
  delivery: 'at-least-once',
  validate(read) {
    read.string('kafka.topic')
    read.int('max.interval', 500, 0)
    read.int('iterations', 1_000_000)
    // Builds a generator once, so an unknown quickstart or key field fails the configuration.
    new Datagen<object>({
      quickstart: quickstartNamed(read.string('quickstart')),
      keyField: read.optionalString('schema.keyfield'),
      iterations: 0,
    })
  },
  taskConfigs: (config, maxTasks) => Array.from({ length: maxTasks }, () => config),
  createTask: () => new DatagenSourceTask(),
})
