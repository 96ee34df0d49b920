/**
 * `logbus/kafkajs`: a drop-in KafkaJS 2.2.4 facade over logbus. Switch one import
 * (`import { Kafka } from 'logbus/kafkajs'`, or `vi.mock('kafkajs', () => import('logbus/kafkajs'))` in
 * tests) and KafkaJS code runs against an in-process cluster: no broker, no Docker.
 */
export { AssignerProtocol, PartitionAssigners } from './assigners'
export { resetClusters } from './clusters'
export {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  CompressionCodecs,
  CompressionTypes,
  ConfigResourceTypes,
  ConfigSource,
  ResourcePatternTypes,
  ResourceTypes,
} from './constants'
export {
  KafkaJSAggregateError,
  KafkaJSAlterPartitionReassignmentsError,
  KafkaJSBrokerNotFound,
  KafkaJSConnectionClosedError,
  KafkaJSConnectionError,
  KafkaJSCreateTopicError,
  KafkaJSDeleteGroupsError,
  KafkaJSDeleteTopicRecordsError,
  type KafkaJSDeleteTopicRecordsErrorPartition,
  KafkaJSError,
  type KafkaJSErrorMetadata,
  type KafkaJSErrorSource,
  KafkaJSFetcherRebalanceError,
  KafkaJSGroupCoordinatorNotFound,
  KafkaJSInvalidLongError,
  KafkaJSInvalidVarIntError,
  KafkaJSInvariantViolation,
  KafkaJSLockTimeout,
  KafkaJSMemberIdRequired,
  KafkaJSMetadataNotLoaded,
  KafkaJSNoBrokerAvailableError,
  KafkaJSNonRetriableError,
  KafkaJSNotImplemented,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSOffsetOutOfRange,
  KafkaJSPartialMessageError,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
  KafkaJSSASLAuthenticationError,
  KafkaJSServerDoesNotSupportApiKey,
  KafkaJSStaleTopicMetadataAssignment,
  KafkaJSTimeout,
  KafkaJSTopicMetadataNotLoaded,
  KafkaJSUnsupportedMagicByteInMessageSet,
} from './errors'
export { busOf, Kafka } from './kafka'
export { logLevel } from './logger'
export { Partitioners } from './partitioners'
export type * from './types'
