import type { CommittedOffset } from '../index'

/**
 * The life of an application (Kafka's `KafkaStreams.State`): `CREATED` until `start()`, `REBALANCING`
 * while it joins or tasks move, `RUNNING`, `PENDING_SHUTDOWN` while it closes, then `NOT_RUNNING`;
 * `ERROR` after a failure it cannot go on from (it has stopped; `close()` it).
 *
 * @example
 * ```ts
 * app.on('stateChange', ({ from, to }) => console.log(from, '→', to))
 * ```
 */
export type StreamsState =
  | 'CREATED'
  | 'REBALANCING'
  | 'RUNNING'
  | 'PENDING_SHUTDOWN'
  | 'NOT_RUNNING'
  | 'ERROR'

/** Where a record came from. */
interface RecordOrigin {
  topic: string
  partition: number
  offset: number
}

/**
 * Events of a streams application.
 *
 * @example
 * ```ts
 * app.on('lateRecord', ({ key, timestamp, streamTime }) => console.warn('late', key, streamTime - timestamp))
 * app.on('error', ({ error }) => console.error(error))
 * ```
 */
export interface StreamsEvents {
  stateChange: { from: StreamsState; to: StreamsState }
  /** The application stopped on an error (state `ERROR`). */
  error: { error: Error }
  /** A record was dropped because the window it belongs to had closed (Kafka's dropped-records). */
  lateRecord: RecordOrigin & { processor: string; key: unknown; timestamp: number; streamTime: number }
  /** A record was skipped or dead-lettered by an error handler. */
  skippedRecord: RecordOrigin & {
    reason: 'deserialization' | 'processing' | 'production'
    action: 'skipped' | 'dead-lettered'
    error: unknown
  }
  /** A task's store was restored from its changelog (or source topic) before processing. */
  restored: { store: string; partition: number; records: number }
  /** State, outputs and input offsets were committed. */
  commit: { offsets: CommittedOffset[] }
}

/**
 * Counters of an application instance since it started.
 *
 * @example
 * ```ts
 * const { processedRecords, droppedRecords } = app.metrics()
 * ```
 */
export interface StreamsMetrics {
  /** Input records processed. */
  processedRecords: number
  /** Records dropped because their window had closed (late). */
  droppedRecords: number
  /** Records skipped or dead-lettered by an error handler. */
  skippedRecords: number
  /** Changelog records replayed into stores. */
  restoredRecords: number
  /** Commits made. */
  commits: number
}

/**
 * The shape of a running topology (Kafka's `TopologyDescription`, and the task layout).
 *
 * @example
 * ```ts
 * for (const sub of app.describe().subtopologies) console.log(sub.id, sub.sources, sub.stores)
 * ```
 */
export interface TopologyDescription {
  subtopologies: Array<{
    id: number
    sources: string[]
    processors: string[]
    stores: string[]
    tasks: number
  }>
  repartitionTopics: string[]
  changelogTopics: string[]
}
