import { type EncodedAppendResult, LogbusError, ProducerFencedError } from '../../index'
import { KafkaErrors, type ResponseInput } from '../protocol'
import { allowed, type Handler, NO_RESPONSE } from '../server/context'
import { errorCodeOf, errorMessageOf, partitionOf, toBig } from './common'

type PartitionAnswer = NonNullable<
  NonNullable<ResponseInput<0>['responses']>[number]['partitionResponses']
>[number]

/**
 * Produce: each partition's record batch is appended as received (`partition.appendEncoded`, which
 * validates it and applies the idempotence and transaction checks). Every append starts before the
 * handler first waits, so batches of pipelined requests on one connection keep their order. acks=0
 * answers nothing; acks=1 and -1 answer once the batch is stored as the bus's durability says (one
 * broker: all replicas are the leader).
 */
export const produce: Handler<0> = async (body, context) => {
  const bus = context.broker.bus
  const acks = body.acks
  if (acks !== 0 && acks !== 1 && acks !== -1) {
    return answerAll(body, KafkaErrors.INVALID_REQUIRED_ACKS)
  }
  const transactionalId = body.transactionalId
  if (transactionalId !== null && !allowed(context, 'transactionalId', transactionalId, 'write')) {
    return answerAll(body, KafkaErrors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
  }
  const topics = body.topicData.map((topic) => {
    const mayWrite = allowed(context, 'topic', topic.name, 'write')
    return {
      name: topic.name,
      partitions: topic.partitionData.map(({ index, records }) => {
        if (!mayWrite) return { index, result: Promise.resolve(KafkaErrors.TOPIC_AUTHORIZATION_FAILED) }
        const partition = partitionOf(bus, topic.name, index)
        if (typeof partition === 'number') return { index, result: Promise.resolve(partition) }
        if (records === null) return { index, result: Promise.resolve(KafkaErrors.INVALID_RECORD) }
        let result: Promise<EncodedAppendResult | number>
        try {
          result = partition.appendEncoded(records).catch(produceErrorCode)
        } catch (error) {
          result = Promise.resolve(produceErrorCode(error))
        }
        return { index, result }
      }),
    }
  })
  if (acks === 0) {
    // Nothing is answered; failures stay on the server, as with Kafka's acks=0.
    return NO_RESPONSE
  }
  const responses = []
  for (const topic of topics) {
    const partitionResponses: PartitionAnswer[] = []
    for (const { index, result } of topic.partitions) {
      const outcome = await result
      partitionResponses.push(
        typeof outcome === 'number'
          ? { index, errorCode: outcome, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n }
          : {
              index,
              errorCode: 0,
              baseOffset: toBig(outcome.baseOffset),
              logAppendTimeMs: -1n,
              logStartOffset: toBig(outcome.logStartOffset),
            },
      )
    }
    responses.push({ name: topic.name, partitionResponses })
  }
  return { responses }
}

/** Kafka answers a fenced transactional producer's batch with INVALID_PRODUCER_EPOCH. */
function produceErrorCode(error: unknown): number {
  if (error instanceof ProducerFencedError) return KafkaErrors.INVALID_PRODUCER_EPOCH
  if (!(error instanceof LogbusError)) {
    // A bug, not the client's fault: it must not pass silently.
    console.error('logbus wire: produce failed', errorMessageOf(error))
  }
  return errorCodeOf(error)
}

function answerAll(body: Parameters<Handler<0>>[0], errorCode: number): ResponseInput<0> {
  return {
    responses: body.topicData.map((topic) => ({
      name: topic.name,
      partitionResponses: topic.partitionData.map(({ index }) => ({ index, errorCode, baseOffset: -1n })),
    })),
  }
}
