import { KafkaErrors } from '../protocol'
import { allowed, type Handler } from '../server/context'
import { errorCodeOf, toBig } from './common'

/**
 * InitProducerId: a producer id for an idempotent producer (no transactional id), or the
 * transactional id's producer id with its epoch bumped (fencing the previous producer, aborting its
 * open transaction), through the bus's transaction coordinator.
 */
export const initProducerId: Handler<22> = async (body, context) => {
  const transactionalId = body.transactionalId
  if (transactionalId === null) {
    if (!allowed(context, 'cluster', 'kafka-cluster', 'write') && !anyTopicWrite(context)) {
      return { errorCode: KafkaErrors.CLUSTER_AUTHORIZATION_FAILED, producerId: -1n, producerEpoch: -1 }
    }
  } else if (!allowed(context, 'transactionalId', transactionalId, 'write')) {
    return {
      errorCode: KafkaErrors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
      producerId: -1n,
      producerEpoch: -1,
    }
  }
  try {
    const { producerId, epoch } = await context.broker.bus.transactions.initProducerId({
      transactionalId,
      transactionTimeoutMs: body.transactionTimeoutMs > 0 ? body.transactionTimeoutMs : 60_000,
    })
    return { errorCode: 0, producerId: toBig(producerId), producerEpoch: epoch }
  } catch (error) {
    return { errorCode: errorCodeOf(error), producerId: -1n, producerEpoch: -1 }
  }
}

/** Kafka lets an idempotent producer in with write access to any topic (KIP-679). */
function anyTopicWrite(context: Parameters<Handler<22>>[1]): boolean {
  if (!context.broker.authorizer.enabled) return true
  return context.broker.bus.listTopics().some((topic) => allowed(context, 'topic', topic, 'write'))
}
