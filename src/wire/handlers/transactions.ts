import { type CommittedOffset, ProducerFencedError, type TopicPartition } from '../../index'
import { KafkaErrors } from '../protocol'
import { allowed, type Handler, type RequestContext } from '../server/context'
import { errorCodeOf, partitionOf } from './common'

/** A transactional request's producer, as the core names it. */
function identityOf(producerId: bigint, producerEpoch: number) {
  return { producerId: Number(producerId), epoch: producerEpoch }
}

/** Kafka answers a fenced producer INVALID_PRODUCER_EPOCH on these APIs' versions clients use. */
function transactionErrorCode(error: unknown): number {
  return error instanceof ProducerFencedError ? KafkaErrors.INVALID_PRODUCER_EPOCH : errorCodeOf(error)
}

type TopicResult = {
  name: string
  resultsByPartition: Array<{ partitionIndex: number; partitionErrorCode: number }>
}

function addPartitions(
  context: RequestContext,
  transactionalId: string,
  producerId: bigint,
  producerEpoch: number,
  topics: ReadonlyArray<{ name: string; partitions: number[] }>,
): TopicResult[] {
  const bus = context.broker.bus
  const answer = (code: (topic: string, partition: number) => number): TopicResult[] =>
    topics.map((t) => ({
      name: t.name,
      resultsByPartition: t.partitions.map((partitionIndex) => ({
        partitionIndex,
        partitionErrorCode: code(t.name, partitionIndex),
      })),
    }))
  if (!allowed(context, 'transactionalId', transactionalId, 'write')) {
    return answer(() => KafkaErrors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
  }
  // Kafka adds all or nothing: one bad partition fails the request, the rest OPERATION_NOT_ATTEMPTED.
  const refused = new Map<string, number>()
  const partitions: TopicPartition[] = []
  for (const t of topics) {
    const mayWrite = allowed(context, 'topic', t.name, 'write')
    for (const partition of t.partitions) {
      const found = mayWrite ? partitionOf(bus, t.name, partition) : KafkaErrors.TOPIC_AUTHORIZATION_FAILED
      if (typeof found === 'number') refused.set(`${t.name}\u0000${partition}`, found)
      else partitions.push({ topic: t.name, partition })
    }
  }
  if (refused.size > 0) {
    return answer(
      (topic, partition) => refused.get(`${topic}\u0000${partition}`) ?? KafkaErrors.OPERATION_NOT_ATTEMPTED,
    )
  }
  try {
    bus.transactions.addPartitions(transactionalId, identityOf(producerId, producerEpoch), partitions)
    return answer(() => 0)
  } catch (error) {
    const code = transactionErrorCode(error)
    return answer(() => code)
  }
}

/** AddPartitionsToTxn: v0-3 one transaction; v4+ a batch (as brokers send it for verification). */
export const addPartitionsToTxn: Handler<24> = (body, context) => {
  if (context.apiVersion < 4) {
    return {
      resultsByTopicV3AndBelow: addPartitions(
        context,
        body.v3AndBelowTransactionalId,
        body.v3AndBelowProducerId,
        body.v3AndBelowProducerEpoch,
        body.v3AndBelowTopics,
      ),
    }
  }
  return {
    errorCode: 0,
    resultsByTransaction: body.transactions.map((t) => ({
      transactionalId: t.transactionalId,
      topicResults: addPartitions(context, t.transactionalId, t.producerId, t.producerEpoch, t.topics),
    })),
  }
}

/**
 * AddOffsetsToTxn: the group whose offsets the transaction will commit. The coordinator checks the
 * producer; the offsets themselves come with TxnOffsetCommit.
 */
export const addOffsetsToTxn: Handler<25> = (body, context) => {
  if (!allowed(context, 'transactionalId', body.transactionalId, 'write')) {
    return { errorCode: KafkaErrors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED }
  }
  if (!allowed(context, 'group', body.groupId, 'read'))
    return { errorCode: KafkaErrors.GROUP_AUTHORIZATION_FAILED }
  try {
    context.broker.bus.transactions.check(
      body.transactionalId,
      identityOf(body.producerId, body.producerEpoch),
    )
    return { errorCode: 0 }
  } catch (error) {
    return { errorCode: transactionErrorCode(error) }
  }
}

/** TxnOffsetCommit: offsets the group gets if the transaction commits. */
export const txnOffsetCommit: Handler<28> = (body, context) => {
  const answer = (errorCode: number) => ({
    topics: body.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
    })),
  })
  if (!allowed(context, 'transactionalId', body.transactionalId, 'write')) {
    return answer(KafkaErrors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
  }
  if (!allowed(context, 'group', body.groupId, 'read')) return answer(KafkaErrors.GROUP_AUTHORIZATION_FAILED)
  const offsets: CommittedOffset[] = body.topics.flatMap((t) =>
    t.partitions.map((p) => ({
      topic: t.name,
      partition: p.partitionIndex,
      offset: Number(p.committedOffset),
    })),
  )
  try {
    context.broker.bus.transactions.addOffsets(
      body.transactionalId,
      identityOf(body.producerId, body.producerEpoch),
      body.groupId,
      offsets,
    )
    return answer(0)
  } catch (error) {
    return answer(transactionErrorCode(error))
  }
}

/** EndTxn: commit (markers, then the offsets) or abort. */
export const endTxn: Handler<26> = async (body, context) => {
  if (!allowed(context, 'transactionalId', body.transactionalId, 'write')) {
    return {
      errorCode: KafkaErrors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
      producerId: -1n,
      producerEpoch: -1,
    }
  }
  try {
    await context.broker.bus.transactions.end(
      body.transactionalId,
      identityOf(body.producerId, body.producerEpoch),
      body.committed,
    )
    return { errorCode: 0, producerId: body.producerId, producerEpoch: body.producerEpoch }
  } catch (error) {
    return { errorCode: transactionErrorCode(error), producerId: -1n, producerEpoch: -1 }
  }
}
