import { KafkaErrors } from '../protocol'
import { allowed, type Handler } from '../server/context'
import { toBig, topicOf } from './common'

/** The one "log directory" a bus reports: its storage, wherever it keeps its data. */
const LOG_DIR = 'logbus'

/**
 * DescribeLogDirs: one log directory holding every partition, with each partition's size in bytes
 * (`partition.sizeBytes`). Topics that do not exist, or that the principal may not describe, are left
 * out, as Kafka leaves out partitions it does not host. Needs DESCRIBE on the cluster, as in Kafka.
 */
export const describeLogDirs: Handler<35> = (body, context) => {
  if (!allowed(context, 'cluster', 'kafka-cluster', 'describe')) {
    return { errorCode: KafkaErrors.CLUSTER_AUTHORIZATION_FAILED, results: [] }
  }
  const bus = context.broker.bus
  const wanted =
    body.topics === null
      ? bus.listTopics().map((topic) => ({ topic, partitions: null }))
      : body.topics.map((t) => ({ topic: t.topic, partitions: t.partitions }))
  const topics = []
  for (const { topic: name, partitions } of wanted) {
    const topic = topicOf(bus, name)
    if (topic === undefined || !allowed(context, 'topic', name, 'describe')) continue
    const indexes = partitions ?? topic.partitions.map((p) => p.partition)
    topics.push({
      name,
      partitions: indexes
        .filter((index) => index >= 0 && index < topic.partitionCount)
        .map((index) => ({
          partitionIndex: index,
          partitionSize: toBig(topic.partition(index).sizeBytes),
          offsetLag: 0n,
          isFutureKey: false,
        })),
    })
  }
  return { errorCode: 0, results: [{ errorCode: 0, logDir: LOG_DIR, topics }] }
}
