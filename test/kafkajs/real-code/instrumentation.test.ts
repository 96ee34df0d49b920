/**
 * Instrumentation as @opentelemetry/instrumentation-kafkajs applies it: it wraps `Kafka.prototype
 * .producer`, then `send` and `sendBatch` on every producer it returns, each wrapper opening one span
 * per message before calling the original. Datadog's and Sentry's integrations, and `vi.spyOn`, do
 * the same. KafkaJS's `send` calls its own internal sendBatch, not `this.sendBatch`, so a send is
 * counted once; so must the facade's.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { Kafka, type Producer } from '../../../src/kafkajs/index'
import { testKafka, uniqueName } from '../harness'

type Span = { operation: 'send' | 'sendBatch'; topic: string }

/** A minimal OpenTelemetry-style patch of the Kafka class, returning the spans it records. */
function instrument(): Span[] {
  const spans: Span[] = []
  const originalProducer = Kafka.prototype.producer
  vi.spyOn(Kafka.prototype, 'producer').mockImplementation(function (this: Kafka, ...args) {
    const producer: Producer = originalProducer.apply(this, args)
    const send = producer.send
    const sendBatch = producer.sendBatch
    producer.send = function (record) {
      for (const _ of record.messages) spans.push({ operation: 'send', topic: record.topic })
      return send.call(this, record)
    }
    producer.sendBatch = function (batch) {
      for (const { topic, messages } of batch.topicMessages ?? []) {
        for (const _ of messages) spans.push({ operation: 'sendBatch', topic })
      }
      return sendBatch.call(this, batch)
    }
    return producer
  })
  return spans
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('instrumentation that wraps send and sendBatch', () => {
  it('records one span per message sent, whichever method sent it', async () => {
    const spans = instrument()
    const { producer: newProducer } = testKafka()
    const producer = newProducer()
    await producer.connect()
    const topic = uniqueName()
    await producer.send({ topic, messages: [{ value: 'a' }, { value: 'b' }] })
    expect(spans).toEqual([
      { operation: 'send', topic },
      { operation: 'send', topic },
    ])
    spans.length = 0
    await producer.sendBatch({ topicMessages: [{ topic, messages: [{ value: 'c' }] }] })
    expect(spans).toEqual([{ operation: 'sendBatch', topic }])
  })

  it('leaves a spy on sendBatch alone when send is called (vi.spyOn / jest.spyOn)', async () => {
    const { producer: newProducer } = testKafka()
    const producer = newProducer()
    await producer.connect()
    const sendBatch = vi.spyOn(producer, 'sendBatch')
    const topic = uniqueName()
    await producer.send({ topic, messages: [{ value: 'a' }] })
    expect(sendBatch).not.toHaveBeenCalled()

    // A transaction's send likewise.
    const transactional = newProducer({ transactionalId: uniqueName('tx') })
    await transactional.connect()
    const transaction = await transactional.transaction()
    const transactionSendBatch = vi.spyOn(transaction, 'sendBatch')
    await transaction.send({ topic, messages: [{ value: 'b' }] })
    expect(transactionSendBatch).not.toHaveBeenCalled()
    await transaction.abort()
  })
})
