import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import * as Facade from '../../src/kafkajs/index'
import { testKafka, uniqueName } from './harness'

type ErrorClass = new (...args: never[]) => Error

/** The installed kafkajs 2.2.4, loaded as Node loads it (its errors are spread into module.exports). */
const KafkaJS = createRequire(import.meta.url)('kafkajs') as Record<string, unknown>

/** KafkaJS's exported error classes, read from the installed kafkajs 2.2.4. */
const kafkajsErrors = Object.entries(KafkaJS).filter(
  ([name, value]) => /^KafkaJS/.test(name) && typeof value === 'function',
) as Array<[string, ErrorClass]>

/** Arguments that construct every error class of both libraries. */
function construct(Class: ErrorClass, name: string): Error {
  const C = Class as unknown as new (...args: unknown[]) => Error
  switch (name) {
    case 'KafkaJSDeleteTopicRecordsError':
      return new C({ topic: 't', partitions: [] })
    case 'KafkaJSAggregateError':
      return new C('boom', [])
    case 'KafkaJSNoBrokerAvailableError':
      return new C()
    default:
      return new C(
        { message: 'boom', type: 'UNKNOWN_TOPIC_OR_PARTITION', code: 3, retriable: true },
        { topic: 't', partition: 0, retryCount: 1, retryTime: 2, memberId: 'm' },
      )
  }
}

describe('errors', () => {
  it('exports every KafkaJS error class', () => {
    expect(kafkajsErrors.length).toBeGreaterThan(25)
    for (const [name] of kafkajsErrors) expect(Facade, name).toHaveProperty(name)
  })

  it.each(kafkajsErrors)('%s has KafkaJS’s name, retriable flag, fields and ancestry', (name, Theirs) => {
    const Ours = (Facade as unknown as Record<string, ErrorClass>)[name]!
    const theirs = construct(Theirs, name) as Error & Record<string, unknown>
    const ours = construct(Ours, name) as Error & Record<string, unknown>
    expect(ours.name).toBe(theirs.name)
    expect(ours.message).toBe(theirs.message)
    expect(ours.retriable).toBe(theirs.retriable)
    for (const field of [
      'type',
      'code',
      'topic',
      'partition',
      'retryCount',
      'retryTime',
      'memberId',
      'errors',
    ]) {
      if (field in theirs && theirs[field] !== undefined) expect(ours[field], field).toEqual(theirs[field])
    }
    for (const [ancestor, TheirAncestor] of kafkajsErrors) {
      if (theirs instanceof TheirAncestor) {
        const OurAncestor = (Facade as unknown as Record<string, ErrorClass>)[ancestor]!
        expect(ours, `${name} instanceof ${ancestor}`).toBeInstanceOf(OurAncestor)
      }
    }
  })

  it('turns logbus errors into the KafkaJS protocol errors of the same meaning', async () => {
    const { kafka } = testKafka()
    const admin = kafka.admin({ retry: { retries: 0 } })
    const error = await admin.fetchTopicMetadata({ topics: [uniqueName()] }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Facade.KafkaJSProtocolError)
    expect(error).toMatchObject({
      name: 'KafkaJSProtocolError',
      type: 'UNKNOWN_TOPIC_OR_PARTITION',
      code: 3,
      retriable: true,
    })
  })
})

describe('logging', () => {
  it('honours logLevel and logCreator, with KafkaJS’s entry shape and namespaces', async () => {
    const entries: Facade.LogEntry[] = []
    const created: number[] = []
    const kafka = new Facade.Kafka({
      brokers: [],
      logLevel: Facade.logLevel.WARN,
      logCreator: (level) => {
        created.push(level)
        return (entry) => void entries.push(entry)
      },
    })
    expect(created).toEqual([Facade.logLevel.WARN])
    const logger = kafka.logger()
    logger.info('hidden')
    logger.warn('shown', { extra: 1 })
    logger.namespace('Custom').error('namespaced')
    expect(entries.map((e) => [e.namespace, e.label, e.log.message])).toEqual([
      ['', 'WARN', 'shown'],
      ['Custom', 'ERROR', 'namespaced'],
    ])
    expect(entries[0]?.log).toMatchObject({ logger: 'kafkajs', extra: 1, timestamp: expect.any(String) })
    logger.setLogLevel(Facade.logLevel.DEBUG)
    logger.debug('now shown')
    expect(entries.at(-1)?.label).toBe('DEBUG')
    // A consumer logs through the same creator, in its own namespace.
    kafka
      .consumer({ groupId: uniqueName('g') })
      .logger()
      .info('from consumer')
    expect(entries.at(-1)).toMatchObject({ namespace: 'Consumer', label: 'INFO' })
  })
})
