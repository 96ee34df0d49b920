import type { ConnectorPlugin } from '../task'
import { datagenSource } from './datagen-source'
import { fileStreamSink } from './file-sink'
import { fileStreamSource } from './file-source'
import { httpSink } from './http-sink'
import { sqliteSink } from './sqlite-sink'

/**
 * The built-in connectors by `connector.class`: logbus's names, and Kafka's and Confluent's class names.
 *
 * @example
 * ```ts
 * Object.keys(BUILT_IN_CONNECTORS) // ['FileStreamSource', …, 'SqliteSink']
 * ```
 */
export const BUILT_IN_CONNECTORS: Readonly<Record<string, ConnectorPlugin>> = Object.freeze({
  FileStreamSource: fileStreamSource,
  FileStreamSourceConnector: fileStreamSource,
  'org.apache.kafka.connect.file.FileStreamSourceConnector': fileStreamSource,
  FileStreamSink: fileStreamSink,
  FileStreamSinkConnector: fileStreamSink,
  'org.apache.kafka.connect.file.FileStreamSinkConnector': fileStreamSink,
  DatagenSource: datagenSource,
  DatagenConnector: datagenSource,
  'io.confluent.kafka.connect.datagen.DatagenConnector': datagenSource,
  HttpSink: httpSink,
  HttpSinkConnector: httpSink,
  'io.confluent.connect.http.HttpSinkConnector': httpSink,
  SqliteSink: sqliteSink,
})
