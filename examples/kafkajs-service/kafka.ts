/**
 * The service's one Kafka client, as many services have it. It is written against KafkaJS; the tests
 * swap KafkaJS for logbus's facade with `vi.mock('kafkajs', …)`, and this file does not change.
 */
import { Kafka, logLevel } from 'kafkajs'

export const kafka = new Kafka({
  clientId: 'billing',
  brokers: (process.env.KAFKA_BROKERS ?? 'localhost:9092').split(','),
  logLevel: logLevel.WARN,
})
