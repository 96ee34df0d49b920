/**
 * Type conformance with KafkaJS 2.2.4 (a devDependency): the facade's objects are assignable to
 * KafkaJS's own types, and KafkaJS-typed arguments are accepted by the facade. `npx tsc --noEmit`
 * checks this file; the test below only makes sure it is loaded.
 */
import type * as K from 'kafkajs'
import { describe, expect, it } from 'vitest'
import * as F from '../../src/kafkajs/index'

/** Never called: its body is what the compiler checks. */
function facadeIsAssignableToKafkaJS(
  kafka: F.Kafka,
  producer: F.Producer,
  consumer: F.Consumer,
  admin: F.Admin,
  transaction: F.Transaction,
): void {
  const k: K.Kafka = kafka
  const p: K.Producer = producer
  const c: K.Consumer = consumer
  const a: K.Admin = admin
  const t: K.Transaction = transaction
  const l: K.Logger = kafka.logger()
  const producerFromKafka: K.Producer = kafka.producer()
  const consumerFromKafka: K.Consumer = kafka.consumer({ groupId: 'g' })
  const adminFromKafka: K.Admin = kafka.admin()
  void [k, p, c, a, t, l, producerFromKafka, consumerFromKafka, adminFromKafka]

  const partitioners: typeof K.Partitioners = F.Partitioners
  const assigners: typeof K.PartitionAssigners = F.PartitionAssigners
  const protocol: typeof K.AssignerProtocol = F.AssignerProtocol
  const level: K.logLevel = F.logLevel.INFO
  const compression: K.CompressionTypes = F.CompressionTypes.GZIP
  const configResource: K.ConfigResourceTypes = F.ConfigResourceTypes.TOPIC
  const configSource: K.ConfigSource = F.ConfigSource.TOPIC_CONFIG
  const aclResource: K.AclResourceTypes = F.AclResourceTypes.TOPIC
  const aclOperation: K.AclOperationTypes = F.AclOperationTypes.READ
  const aclPermission: K.AclPermissionTypes = F.AclPermissionTypes.ALLOW
  const pattern: K.ResourcePatternTypes = F.ResourcePatternTypes.LITERAL
  void [partitioners, assigners, protocol, level, compression, configResource, configSource]
  void [aclResource, aclOperation, aclPermission, pattern]
}

/** Never called: KafkaJS-typed values are accepted where the facade takes arguments. */
function kafkaJSArgumentsAreAccepted(
  config: K.KafkaConfig,
  producerConfig: K.ProducerConfig,
  consumerConfig: K.ConsumerConfig,
  adminConfig: K.AdminConfig,
  runConfig: K.ConsumerRunConfig,
  record: K.ProducerRecord,
  batch: K.ProducerBatch,
  eachMessage: K.EachMessageHandler,
  eachBatch: K.EachBatchHandler,
  level: K.logLevel,
): void {
  const kafka = new F.Kafka(config)
  kafka.producer(producerConfig)
  kafka.consumer(consumerConfig)
  kafka.admin(adminConfig)
  const consumer = kafka.consumer({ groupId: 'g', partitionAssigners: [F.PartitionAssigners.roundRobin] })
  void consumer.run(runConfig)
  void consumer.run({ eachMessage })
  void consumer.run({ eachBatch })
  const producer = kafka.producer({ createPartitioner: F.Partitioners.LegacyPartitioner })
  void producer.send(record)
  void producer.sendBatch(batch)
  kafka.logger().setLogLevel(level)
}

/**
 * Never called: values typed by KafkaJS fit the facade's types and back, as code and fixtures written
 * for KafkaJS use them (these failed with TS2322/TS2352 while the facade's types were narrower).
 */
function kafkaJSValuesFitBothWays(
  message: K.KafkaMessage,
  batch: K.Batch,
  payload: K.EachMessagePayload,
  batchPayload: K.EachBatchPayload,
  headers: K.IHeaders,
  description: F.GroupDescription,
): void {
  const consumed: F.KafkaMessage = message
  const back: K.KafkaMessage = consumed
  const facadeBatch: F.Batch = batch
  const kafkaBatch: K.Batch = facadeBatch
  const facadePayload: F.EachMessagePayload = payload
  const facadeBatchPayload: F.EachBatchPayload = batchPayload
  const facadeHeaders: F.IHeaders = headers
  const kafkaDescription: K.GroupDescription = description
  void [consumed, back, facadeBatch, kafkaBatch, facadePayload, facadeBatchPayload, facadeHeaders]
  void kafkaDescription
  // Fixtures as KafkaJS users write them: string header values, and a legacy message with a size.
  const fixture: F.KafkaMessage = {
    key: Buffer.from('k'),
    value: Buffer.from('v'),
    timestamp: '0',
    attributes: 0,
    offset: '0',
    headers: { 'trace-id': 'abc', tags: ['a', Buffer.from('b')] },
  }
  const legacy: F.KafkaMessage = {
    key: null,
    value: null,
    timestamp: '0',
    attributes: 0,
    offset: '0',
    size: 12,
  }
  const cast = { offset: '1', value: Buffer.from('x') } as F.KafkaMessage
  // Reading a header as KafkaJS code does: the union makes headers optional.
  const traceId: string | undefined = fixture.headers?.['trace-id']?.toString()
  void [legacy, cast, traceId]
  // Handlers typed by KafkaJS run on the facade, and the facade's on KafkaJS.
  const handler = async ({ message: m }: K.EachMessagePayload): Promise<void> => void m.headers?.h
  const facadeHandler: F.EachMessageHandler = handler
  const kafkaHandler: K.EachMessageHandler = facadeHandler
  void kafkaHandler
}

/** Never called: the error classes are KafkaJS's, instances and constructors. */
function errorsConform(): void {
  const base: K.KafkaJSError = new F.KafkaJSError('x')
  const nonRetriable: K.KafkaJSNonRetriableError = new F.KafkaJSNonRetriableError('x')
  const protocolError: K.KafkaJSProtocolError = new F.KafkaJSProtocolError('x')
  const outOfRange: K.KafkaJSOffsetOutOfRange = new F.KafkaJSOffsetOutOfRange('x', {
    topic: 't',
    partition: 0,
  })
  const retries: K.KafkaJSNumberOfRetriesExceeded = new F.KafkaJSNumberOfRetriesExceeded(new Error('x'), {
    retryCount: 1,
    retryTime: 1,
  })
  const connection: K.KafkaJSConnectionError = new F.KafkaJSConnectionError('x')
  const timeout: K.KafkaJSRequestTimeoutError = new F.KafkaJSRequestTimeoutError('x')
  const aggregate: K.KafkaJSAggregateError = new F.KafkaJSAggregateError('x', [])
  const deleteGroups: K.KafkaJSDeleteGroupsError = new F.KafkaJSDeleteGroupsError('x')
  const deleteRecords: K.KafkaJSDeleteTopicRecordsError = new F.KafkaJSDeleteTopicRecordsError({
    topic: 't',
    partitions: [],
  })
  void [base, nonRetriable, protocolError, outOfRange, retries, connection, timeout, aggregate, deleteGroups]
  void deleteRecords
  const ErrorClass: typeof K.KafkaJSError = F.KafkaJSError
  const NonRetriableClass: typeof K.KafkaJSNonRetriableError = F.KafkaJSNonRetriableError
  const ProtocolClass: typeof K.KafkaJSProtocolError = F.KafkaJSProtocolError
  const NotImplementedClass: typeof K.KafkaJSNotImplemented = F.KafkaJSNotImplemented
  const TimeoutClass: typeof K.KafkaJSTimeout = F.KafkaJSTimeout
  const BrokerNotFoundClass: typeof K.KafkaJSBrokerNotFound = F.KafkaJSBrokerNotFound
  void [ErrorClass, NonRetriableClass, ProtocolClass, NotImplementedClass, TimeoutClass, BrokerNotFoundClass]
}

describe('type conformance with KafkaJS 2.2.4', () => {
  it('is checked by the compiler (this module loads)', () => {
    expect(typeof facadeIsAssignableToKafkaJS).toBe('function')
    expect(typeof kafkaJSArgumentsAreAccepted).toBe('function')
    expect(typeof errorsConform).toBe('function')
    expect(typeof kafkaJSValuesFitBothWays).toBe('function')
  })
})
