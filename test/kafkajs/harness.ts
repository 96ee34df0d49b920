import { onTestFinished } from 'vitest'
import {
  type Admin,
  type AdminConfig,
  type Consumer,
  type ConsumerConfig,
  Kafka,
  type KafkaConfig,
  type KafkaMessage,
  logLevel,
  type Producer,
  type ProducerConfig,
  resetClusters,
} from '../../src/kafkajs/index'

import { uniqueName } from '../support/bus'

export { uniqueName, waitUntil } from '../support/bus'

/**
 * A Kafka client for one test: silent, and everything it created is disconnected (then the
 * in-process clusters reset) when the test finishes, whatever happens in it.
 */
export function testKafka(config: Partial<KafkaConfig> = {}): {
  kafka: Kafka
  producer(config?: ProducerConfig): Producer
  consumer(config: ConsumerConfig): Consumer
  admin(config?: AdminConfig): Admin
} {
  const kafka = new Kafka({
    clientId: 'test',
    brokers: ['localhost:9092'],
    logLevel: logLevel.NOTHING,
    ...config,
  })
  const clients: Array<{ disconnect(): Promise<void> }> = []
  onTestFinished(async () => {
    await Promise.all(clients.map((client) => client.disconnect().catch(() => undefined)))
    // Clients that name the same brokers share a cluster for the process: start the next test afresh.
    await resetClusters()
  })
  const tracked = <T extends { disconnect(): Promise<void> }>(client: T): T => {
    clients.push(client)
    return client
  }
  return {
    kafka,
    producer: (c) => tracked(kafka.producer(c)),
    consumer: (c) => tracked(kafka.consumer(c)),
    admin: (c) => tracked(kafka.admin(c)),
  }
}

/** The values of messages, as strings. */
export const values = (messages: readonly KafkaMessage[]): string[] =>
  messages.map((m) => m.value?.toString() ?? 'null')

/** A topic with `partitions` partitions and messages already in it. */
export async function topicWith(
  client: ReturnType<typeof testKafka>,
  partitions: number,
  messages: Array<{
    key?: string
    value: string
    partition?: number
    headers?: Record<string, string | string[]>
  }>,
): Promise<string> {
  const topic = uniqueName('topic')
  await client.kafka.admin().createTopics({ topics: [{ topic, numPartitions: partitions }] })
  if (messages.length > 0) {
    const producer = client.producer()
    await producer.connect()
    await producer.send({ topic, messages })
  }
  return topic
}
