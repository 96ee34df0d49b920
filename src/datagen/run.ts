import { type Bus, type Clock, InvalidConfigError, type Topic, type TopicDeclarations } from '../index'
import type { Quickstart, QuickstartName } from './quickstarts'
import { SeededRandom } from './random'
import { Datagen, type DatagenOptions, type DatagenState } from './stream'

/**
 * Where a `runDatagen` stands, given to `onProgress`.
 *
 * @example
 * ```ts
 * const onProgress = ({ records, recordsPerSecond }: DatagenProgress) => console.log(records, recordsPerSecond)
 * ```
 */
export interface DatagenProgress {
  /** Records produced so far (acknowledged by the bus). */
  records: number
  /** Milliseconds since the run started, on the bus's clock. */
  elapsedMs: number
  /** Records per second over the whole run so far. */
  recordsPerSecond: number
  /** True for the last report, when the run has ended. */
  done: boolean
}

/**
 * What a finished `runDatagen` did.
 *
 * @example
 * ```ts
 * const { records, aborted } = await runDatagen(bus, { quickstart: 'users', topic: 'users', iterations: 10 })
 * ```
 */
export interface DatagenSummary {
  records: number
  elapsedMs: number
  /** True when `signal` stopped the run before `iterations` records. */
  aborted: boolean
  /** Where the stream stopped: `resume` from it to continue. */
  state: DatagenState
}

/**
 * Options of `runDatagen`: those of `datagen()`, plus where and how fast to produce.
 *
 * @example
 * ```ts
 * const options: RunDatagenOptions<'pageviews'> = { quickstart: 'pageviews', topic: 'pageviews', rate: 100 }
 * ```
 */
export interface RunDatagenOptions<Q extends QuickstartName | Quickstart<object>> extends DatagenOptions<Q> {
  /** The topic to produce to, by name or as a `Topic`. */
  topic: string | Topic<unknown, unknown, unknown, unknown>
  /** Records per second, evenly spaced on the bus's clock. Default: as fast as the bus takes them. */
  rate?: number
  /**
   * Confluent's `max.interval`: before each record, a pause drawn between 0 and this many milliseconds
   * (from a stream seeded like the data, so a seeded run is paced the same way every time). Not with `rate`.
   */
  maxInterval?: number
  /** Stops the run; the records produced so far stay. */
  signal?: AbortSignal
  /** Records per send when not paced. Default 1000. */
  batchSize?: number
  /**
   * Creates the topic when it is missing, typed with the quickstart's codec (with this many partitions).
   * Default true (1 partition); false fails on a missing topic.
   */
  createTopic?: boolean | { partitions?: number }
  /** Called every `progressIntervalMs` of the bus's clock while records flow, and once at the end. */
  onProgress?: (progress: DatagenProgress) => void
  /** Default 1000. */
  progressIntervalMs?: number
}

/**
 * Produces generated records to a topic of a bus, as Confluent's datagen connector does: keyed by the
 * quickstart's key field, values through the quickstart's `json()` codec (a raw topic gets their JSON),
 * paced by `rate` or `maxInterval` on the bus's clock (so tests drive it with a fake clock), until
 * `iterations` records or `signal` aborts. Resolves with what it did; a failed send rejects.
 *
 * @example
 * ```ts
 * import { Bus } from 'logbus'
 * import { runDatagen } from 'logbus/datagen'
 *
 * const bus = await Bus.open()
 * const { records } = await runDatagen(bus, { quickstart: 'orders', topic: 'orders', seed: 1, iterations: 1000 })
 * ```
 */
export async function runDatagen<
  const Q extends QuickstartName | Quickstart<object>,
  D extends TopicDeclarations = TopicDeclarations,
>(typedBus: Bus<D>, options: RunDatagenOptions<Q>): Promise<DatagenSummary> {
  // Topics are named at run time here: the bus's per-name typing does not apply.
  const bus = typedBus as unknown as Bus<TopicDeclarations>
  const { topic, rate, maxInterval, signal, onProgress } = options
  const batchSize = checkedCount(options.batchSize ?? 1000, 'batchSize')
  const progressIntervalMs = options.progressIntervalMs ?? 1000
  if (rate !== undefined && !(rate > 0 && Number.isFinite(rate))) {
    throw new InvalidConfigError('rate', 'must be a positive number of records per second')
  }
  if (maxInterval !== undefined && !(maxInterval >= 0 && Number.isFinite(maxInterval))) {
    throw new InvalidConfigError('maxInterval', 'must be a non-negative number of milliseconds')
  }
  if (rate !== undefined && maxInterval !== undefined && maxInterval > 0) {
    throw new InvalidConfigError('maxInterval', 'give either rate or maxInterval, not both')
  }
  const generator = new Datagen<object>(options)
  const name = typeof topic === 'string' ? topic : topic.name
  if (!bus.listTopics().includes(name)) {
    const create = options.createTopic ?? true
    if (create === false) throw new InvalidConfigError('topic', `topic "${name}" does not exist`)
    const partitions = create === true ? 1 : (create.partitions ?? 1)
    await bus.createTopic(name, { partitions, value: generator.quickstart.codec, ifNotExists: true })
  }
  const view = bus.topic(name, { value: generator.quickstart.codec })
  const clock = bus.clock
  const pauses = maxInterval
    ? new SeededRandom(options.seed === undefined ? undefined : `${options.seed}/pauses`)
    : undefined
  const producer = bus.producer()
  const started = clock.now()
  let records = 0
  let reported = started
  const report = (done: boolean): void => {
    const elapsedMs = clock.now() - started
    onProgress?.({
      records,
      elapsedMs,
      recordsPerSecond: elapsedMs > 0 ? (records * 1000) / elapsedMs : 0,
      done,
    })
  }
  const aborted = (): boolean => signal?.aborted === true
  try {
    while (!generator.done && !aborted()) {
      let count = batchSize
      if (rate !== undefined) {
        // Record i is due at started + i / rate: send every record due by now, at most a batch.
        const due = Math.floor(((clock.now() - started) * rate) / 1000) + 1
        count = Math.min(due - records, batchSize)
        if (count <= 0) {
          await sleep(clock, started + (records * 1000) / rate - clock.now(), signal)
          continue
        }
      } else if (pauses !== undefined) {
        await sleep(clock, pauses.next() * maxInterval!, signal)
        if (aborted()) break
        count = 1
      }
      const batch = generator.take(count)
      if (batch.length === 0) break
      await producer.send(view, batch)
      records += batch.length
      if (onProgress !== undefined && clock.now() - reported >= progressIntervalMs) {
        reported = clock.now()
        report(false)
      }
    }
  } finally {
    await producer.close()
  }
  report(true)
  return {
    records,
    elapsedMs: clock.now() - started,
    aborted: !generator.done && aborted(),
    state: generator.state(),
  }
}

function checkedCount(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new InvalidConfigError(field, 'must be a positive integer')
  return value
}

/** Waits `ms` on `clock`; an abort of `signal` ends the wait early (the caller then sees the abort). */
function sleep(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted === true) return Promise.resolve()
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clock.clearTimeout(timer)
      resolve()
    }
    const timer = clock.setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      },
      Math.max(0, Math.ceil(ms)),
    )
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
