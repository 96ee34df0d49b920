/**
 * `logbus/connect`: Kafka Connect's runtime over a bus — source and sink connectors, tasks, source
 * offsets in `connect-offsets`, consumer groups for sinks, Single Message Transforms, error tolerance
 * with retries and a dead-letter topic — and built-in connectors: file source and sink, datagen, HTTP
 * sink and SQLite sink.
 *
 * @example
 * ```ts
 * import { Bus } from 'logbus'
 * import { runStandalone } from 'logbus/connect'
 *
 * const bus = await Bus.open({ autoCreateTopics: true })
 * const worker = await runStandalone(bus, {
 *   connectors: [
 *     { name: 'in', config: { 'connector.class': 'FileStreamSource', file: 'in.txt', topic: 'lines', 'value.converter': 'string' } },
 *     { name: 'out', config: { 'connector.class': 'FileStreamSink', file: 'out.txt', topics: 'lines', 'value.converter': 'string' } },
 *   ],
 * })
 * ```
 */
export {
  type ConfigReader,
  type ConnectorConfig,
  configReader,
  type RawConnectorConfig,
} from './connect/config'
export { BUILT_IN_CONNECTORS } from './connect/connectors/built-ins'
export { datagenSource } from './connect/connectors/datagen-source'
export { fileStreamSink } from './connect/connectors/file-sink'
export { fileStreamSource } from './connect/connectors/file-source'
export { HttpSinkError, httpSink } from './connect/connectors/http-sink'
export { sqliteSink } from './connect/connectors/sqlite-sink'
export { BYTES_CONVERTER, type Converter, JSON_CONVERTER, STRING_CONVERTER } from './connect/converters'
export { ERROR_HEADER_PREFIX } from './connect/dead-letter'
export type { ErrorPolicy, RecordErrorReport } from './connect/error-handler'
export { ConnectTaskError, type ErrorStage } from './connect/errors'
export type { ConnectEvents, TaskState } from './connect/events'
export { DEFAULT_OFFSET_PARTITIONS, DEFAULT_OFFSET_TOPIC } from './connect/offset-store'
export type {
  ConnectHeaders,
  ConnectRecord,
  JsonValue,
  SinkRecord,
  SourceOffset,
  SourcePartition,
  SourceRecord,
} from './connect/record'
export type { ConnectLogEntry } from './connect/runner-host'
export {
  loadStandaloneConfig,
  parseStandaloneConfig,
  runStandalone,
  type StandaloneConfig,
} from './connect/standalone'
export type {
  ConnectorPlugin,
  DeliveryGuarantee,
  ErrantRecordReporter,
  SinkConnectorPlugin,
  SinkTask,
  SinkTaskContext,
  SourceConnectorPlugin,
  SourceTask,
  SourceTaskContext,
  TaskContext,
} from './connect/task'
export { BUILT_IN_PREDICATES, BUILT_IN_TRANSFORMS } from './connect/transforms/registry'
export type {
  Predicate,
  PredicateFactory,
  Transformation,
  TransformationFactory,
} from './connect/transforms/transform'
export {
  type ConnectorSpec,
  type ConnectorStatus,
  ConnectWorker,
  type ConnectWorkerOptions,
  DEFAULT_OFFSET_FLUSH_INTERVAL_MS,
} from './connect/worker'
