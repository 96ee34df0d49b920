/**
 * The scenario of KafkaJS 2.2.4's own `examples/producer.js` and `examples/consumer.js`, in one
 * process, written here after them: two separate clients that name the same three brokers (with TLS
 * and SASL options, ignored), a producer sending batches of keyed messages with a correlation-id
 * header and GZIP compression, and a consumer group reading from the beginning and printing each
 * message the way the example does. Run against logbus, as if `require('kafkajs')` had been swapped.
 * Before clients that name the same brokers shared a cluster, the consumer processed 0 messages.
 */
import { describe, expect, it } from 'vitest'
import { CompressionTypes, Kafka, logLevel, resetClusters } from '../../../src/kafkajs/index'
import { waitUntil } from '../harness'

const host = '10.0.0.5'
const secure = {
  ssl: { servername: 'localhost', rejectUnauthorized: false, ca: ['-----BEGIN CERTIFICATE-----'] },
  sasl: { mechanism: 'plain' as const, username: 'test', password: 'testtest' },
}

describe('KafkaJS’s producer and consumer examples, in one process', () => {
  it('delivers every message the producer example sends to the consumer example', async () => {
    const producerKafka = new Kafka({
      logLevel: logLevel.NOTHING,
      brokers: [`${host}:9094`, `${host}:9097`, `${host}:9100`],
      clientId: 'example-producer',
      ...secure,
    })
    // The consumer example lists the same brokers (here in another order).
    const consumerKafka = new Kafka({
      logLevel: logLevel.NOTHING,
      brokers: [`${host}:9100`, `${host}:9094`, `${host}:9097`],
      clientId: 'example-consumer',
      ...secure,
    })
    const topic = 'topic-test'
    const producer = producerKafka.producer()
    const consumer = consumerKafka.consumer({ groupId: 'test-group' })

    let counter = 0
    const createMessage = (num: number) => ({
      key: `key-${num}`,
      value: `value-${num}-${new Date(0).toISOString()}`,
      headers: { 'correlation-id': `${num}-${++counter}` },
    })
    let sent = 0
    const sendMessage = async (size: number) => {
      const messages = Array.from({ length: size }, (_, i) => createMessage(i))
      sent += messages.length
      const response = await producer.send({ topic, compression: CompressionTypes.GZIP, messages })
      expect(response[0]).toMatchObject({ topicName: topic, errorCode: 0 })
    }

    const printed: Array<{
      topic: string
      partition: number
      offset: string
      headers: Record<string, string>
    }> = []
    await consumer.connect()
    await consumer.subscribe({ topic, fromBeginning: true })
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        printed.push({
          topic,
          partition,
          offset: message.offset,
          headers: Object.fromEntries(
            Object.entries(message.headers ?? {}).map(([key, value]) => [key, String(value)]),
          ),
        })
        // As the example: key and value are Buffers.
        expect(message.key!.toString()).toMatch(/^key-\d+$/)
        expect(message.value!.toString()).toMatch(/^value-\d+-/)
      },
    })

    await producer.connect()
    // The example sends a random number of messages every 3 s; three rounds of known sizes here.
    for (const size of [17, 1, 250]) await sendMessage(size)
    await waitUntil(() => printed.length === sent)
    expect(printed).toHaveLength(268)
    expect(new Set(printed.map((p) => p.headers['correlation-id'])).size).toBe(268)
    expect(printed.at(-1)).toMatchObject({ topic, partition: 0, offset: '267' })

    // The examples' signal traps: disconnect, and nothing else is needed to exit.
    await Promise.all([consumer.disconnect(), producer.disconnect()])
    await resetClusters()
  })
})
