/**
 * `logbus/streams`: a typed Kafka Streams–style DSL over a bus — streams and tables, windows, joins,
 * state stores over changelog topics, interactive queries — run as a consumer group.
 *
 * @example
 * ```ts
 * import { Bus, string } from 'logbus'
 * import { streams } from 'logbus/streams'
 *
 * const bus = await Bus.open({ topics: { lines: { value: string() } } })
 * const app = streams(bus, { applicationId: 'wordcount' })
 * const counts = app.stream('lines').flatMapValues((line) => line.split(' ')).groupBy((_, w) => w).count()
 * await app.start()
 * ```
 */
export { BranchedKStream } from './streams/dsl/branched'
export { KGroupedStream } from './streams/dsl/grouped'
export { KStream } from './streams/dsl/kstream'
export { KTable, WindowedKTable } from './streams/dsl/ktable'
export type {
  GroupedOptions,
  KeyValue,
  MaterializedOptions,
  NamedOptions,
  RepartitionOptions,
  SinkCheck,
  SinkCheckNamed,
  StreamJoinOptions,
  TopicInput,
  TopicKey,
  TopicValue,
  WindowedMaterializedOptions,
} from './streams/dsl/types'
export { SessionWindowedKStream, TimeWindowedKStream } from './streams/dsl/windowed-stream'
export type {
  StreamsEvents,
  StreamsMetrics,
  StreamsState,
  TopologyDescription,
} from './streams/events'
export type { RecordErrorHandler, StreamsLogger, StreamsOptions } from './streams/options'
export { StreamsApp, streams } from './streams/streams-app'
export {
  JoinWindows,
  SessionWindows,
  SlidingWindows,
  Suppressed,
  TimeWindows,
  type Window,
  type Windowed,
} from './streams/windows'
