export { Bus, type BusEvents, type BusOptions, type TopicOptions } from './bus/bus'
export { Partition } from './bus/partition'
export { Topic } from './bus/topic'
export {
  type BatchPayload,
  Consumer,
  type ConsumerEvents,
  type EachBatchHandler,
  type EachMessageHandler,
  type RunOptions,
  type WaitOptions,
} from './consumer/consumer'
export type { AssignorChoice, ConsumerOptions, RetryOptions } from './consumer/options'
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
  InvalidRecordError,
  InvalidStateError,
  InvalidTopicError,
  LockedError,
  LogbusError,
  OffsetOutOfRangeError,
  RecordTooLargeError,
  StorageError,
  TimeoutError,
  TopicExistsError,
  UnknownMemberError,
  UnknownTopicError,
} from './errors'
export type { EventMap, TypedEmitter, Unsubscribe } from './events/typed-emitter'
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
export type { Message, MessageHeaders, RawValue, RecordMetadata } from './producer/message'
export { murmur2 } from './producer/murmur2'
export type { ProducerOptions } from './producer/options'
export { type Partitioner, type PartitionerInput, partitionForKey } from './producer/partitioner'
export { Producer, type ProducerEvents } from './producer/producer'
export { buffer, type Codec, json, string } from './record/codec'
export type { LogRecord, RecordHeaders, TopicPartition } from './record/log-record'
export type { FsyncPolicy } from './storage/file/file-partition-log'
export { FileStorage, type FileStorageOptions } from './storage/file/file-storage'
export { type FileSystem, nodeFileSystem } from './storage/file/file-system'
export { MemoryStorage } from './storage/memory-storage'
export type {
  CommittedOffset,
  MaybePromise,
  PartitionLog,
  RetentionPolicy,
  Storage,
  StorageSnapshot,
  TopicConfig,
  TopicMetadata,
} from './storage/storage'
export type { Clock, ClockTimer } from './util/clock'
