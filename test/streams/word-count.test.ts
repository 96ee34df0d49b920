import { describe, expect, it } from 'vitest'
import { Bus, string } from '../../src/index'
import { lines, openApp, openTypedBus, readTopic } from './helpers'

/**
 * Kafka's WordCountDemo (streams quickstart): the three lines of the quickstart give, with record
 * caching off (as logbus forwards every update), exactly the output the quickstart documents.
 */
describe('word count (the Kafka Streams quickstart)', () => {
  const topics = {
    'streams-plaintext-input': { value: string() },
    'streams-wordcount-output': { value: string() },
  } as const

  async function wordCount(bus: Bus<typeof topics>) {
    const app = openApp(bus, { applicationId: 'streams-wordcount' })
    const counts = app
      .stream('streams-plaintext-input')
      .flatMapValues((line) => line.toLowerCase().split(/\W+/))
      .groupBy((_, word) => word)
      .count({ name: 'counts-store' })
    counts
      .toStream()
      .mapValues((count) => String(count))
      .to('streams-wordcount-output')
    return { app, counts }
  }

  it('emits the documented output, and names its internal topics as Kafka does', async () => {
    const bus = await openTypedBus({ topics })
    const { app, counts } = await wordCount(bus)
    await app.start()
    const producer = bus.producer()
    for (const line of ['all streams lead to kafka', 'hello kafka streams', 'join kafka summit']) {
      await producer.send('streams-plaintext-input', { value: line })
    }
    await app.caughtUp()
    expect(lines(await readTopic(bus, 'streams-wordcount-output'))).toEqual([
      'all 1',
      'streams 1',
      'lead 1',
      'to 1',
      'kafka 1',
      'hello 1',
      'kafka 2',
      'streams 2',
      'join 1',
      'kafka 3',
      'summit 1',
    ])
    expect(bus.listTopics()).toEqual(
      expect.arrayContaining([
        'streams-wordcount-counts-store-changelog',
        'streams-wordcount-counts-store-repartition',
      ]),
    )
    // Interactive queries of the count table.
    expect(counts.get('kafka')).toBe(3)
    expect(counts.get('nope')).toBeUndefined()
    expect(counts.range('k', 's')).toEqual([
      ['kafka', 3],
      ['lead', 1],
    ])
    expect(counts.all().map(([word]) => word)).toEqual([
      'all',
      'hello',
      'join',
      'kafka',
      'lead',
      'streams',
      'summit',
      'to',
    ])
    const description = app.describe()
    expect(description.subtopologies).toHaveLength(2)
    expect(description.subtopologies[1]).toMatchObject({
      sources: ['streams-wordcount-counts-store-repartition'],
      stores: ['counts-store'],
      tasks: 1,
    })
  })

  it('spreads words over partitions by key and counts each word on its task', async () => {
    const bus = await Bus.open({
      topics: { text: { partitions: 3, value: string() }, out: { partitions: 3, value: string() } },
    })
    const app = openApp(bus, { applicationId: 'wc3' })
    const counts = app
      .stream('text')
      .flatMapValues((line) => line.split(' '))
      .groupBy((_, word) => word)
      .count()
    await app.start()
    const words = 'a b c d e f g h a b c a'.split(' ')
    await bus.producer().send(
      'text',
      words.map((value, i) => ({ key: `line-${i}`, value })),
    )
    await app.caughtUp()
    expect(Object.fromEntries(counts.all())).toEqual({ a: 3, b: 2, c: 2, d: 1, e: 1, f: 1, g: 1, h: 1 })
    expect(app.describe().repartitionTopics).toEqual([
      'wc3-KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition',
    ])
    await bus.close()
  })
})
