export { Bus } from './bus/bus'
export type { BusEvents, BusOptions, RecordOfTopic, RecordsOf } from './bus/bus-options'
export {
  Consumer,
  type ConsumerEvents,
  type RunOptions,
} from './consumer/consumer'
export { DEAD_LETTER_HEADERS } from './consumer/dead-letter'
export type { BatchPayload, EachBatchHandler, EachMessageHandler } from './consumer/delivery'
export type {
  AssignedPartition,
  AssignorChoice,
  ConsumerOptions,
  FailurePolicy,
  RetryOptions,
} from './consumer/options'
export type { WaitOptions } from './consumer/progress'
export { RecordRun } from './consumer/record-run'
export {
  BufferExhaustedError,
  ClosedError,
  CorruptLogError,
  type ErrorCode,
  FencedInstanceIdError,
  GroupNotEmptyError,
  GroupNotFoundError,
  HandlerError,
  IllegalGenerationError,
  InconsistentGroupProtocolError,
  InvalidConfigError,
  InvalidPartitionsError,
  InvalidProducerEpochError,
  InvalidRecordError,
  InvalidStateError,
  InvalidTopicError,
  InvalidTransactionStateError,
  LockedError,
  LogbusError,
  OffsetOutOfRangeError,
  OutOfOrderSequenceError,
  ProducerFencedError,
  RecordTooLargeError,
  StorageError,
  TimeoutError,
  TopicExistsError,
  UnknownMemberError,
  UnknownTopicError,
} from './errors'
export { type EventMap, TypedEmitter, type Unsubscribe } from './events/typed-emitter'
export {
  type Assignment,
  type Assignor,
  type AssignorInput,
  type AssignorMember,
  type AssignorProperties,
  assignorProtocol,
  type SyncAssignor,
} from './group/assignor'
export { cooperativeStickyAssignor, rangeAssignor, roundRobinAssignor } from './group/assignors'
export {
  ConsumerGroup,
  type GroupDescription,
  type GroupEvents,
  type GroupState,
  type MemberDescription,
  type PartitionLag,
  type ResetOffsetsOptions,
} from './group/consumer-group'
export type { ExternalMember, ExternalMemberOptions, ExternalProtocol } from './group/external-member'
export type { BusMetrics, GroupMetrics, PartitionMetrics, TopicMetrics } from './metrics/bus-metrics'
export type { HistogramSnapshot } from './metrics/histogram'
export type { Instrumentation, ProcessContext, SendContext, SendScope } from './metrics/instrumentation'
export { murmur2, murmur2String } from './producer/murmur2'
export type { ProducerOptions } from './producer/options'
export {
  defaultPartitioner,
  type Partitioner,
  type PartitionerInput,
  partitionForKey,
  roundRobinPartitioner,
} from './producer/partitioner'
export { Producer, type ProducerEvents } from './producer/producer'
export type { MessageFor, TopicMessages } from './producer/send-types'
export { Transaction } from './producer/transaction'
export {
  buffer,
  type Codec,
  type CodecInput,
  type CodecOutput,
  json,
  nullable,
  type RawInput,
  raw,
  string,
} from './record/codec'
export {
  CompressionCodec,
  type CompressionCodecId,
  compress,
  type DecompressOptions,
  decompress,
  decompressSync,
  loadCodec,
  loadCodecs,
} from './record/compression'
export { ControlType, controlType } from './record/control'
export { decodeRecordBatch, decodeRecordBatches } from './record/decode-record-batch'
export { encodeRecordBatch } from './record/encode-record-batch'
export { EMPTY_HEADERS, type LogRecord, type RecordHeaders, type TopicPartition } from './record/log-record'
export type { Message, MessageHeaders, RecordMetadata } from './record/message'
export {
  type BatchColumn,
  type BatchColumns,
  type BatchForm,
  type BatchMeta,
  DecodeFailure,
  RecordBatch,
} from './record/record-batch'
export { RecordBatchWriter, type RecordBatchWriterOptions } from './record/record-batch-writer'
export type {
  SchemaInput,
  SchemaOutput,
  StandardSchemaIssue,
  StandardSchemaResult,
  StandardSchemaV1,
} from './record/standard-schema'
export { BaseStorage } from './storage/base-storage'
export { BatchList } from './storage/batch-list'
export { MemoryStorage } from './storage/memory/memory-storage'
export type {
  CommittedOffset,
  CompactionRequest,
  CompactionResult,
  MaybePromise,
  PartitionLog,
  SegmentInfo,
  Storage,
  StorageMetrics,
  StorageSnapshot,
  TopicConfig,
  TopicMetadata,
} from './storage/storage'
export {
  type AbortedTransaction,
  type EncodedAppendResult,
  Partition,
  type ReadEncodedOptions,
} from './topic/partition'
export { type RetentionPolicy, retentionCut } from './topic/retention'
export { Topic } from './topic/topic'
export { validateTopicName } from './topic/topic-name'
export type {
  AlterableConfig,
  CleanupPolicy,
  KeyCodecOf,
  TopicDeclarations,
  TopicNamed,
  TopicOf,
  TopicOptions,
  ValueCodecOf,
} from './topic/topic-options'
export {
  type InitProducerIdOptions,
  type ProducerIdentity,
  Transactions,
} from './transaction/transactions'
export type { Clock, ClockTimer } from './util/clock'
