import { describe, expect, it } from 'vitest'
import { uniqueName } from '../../support/bus'
import { serve } from '../support'
import { run } from './run'

// Python's kafka-python (Debian's python3-kafka) against bus.listen(): each test runs one script that
// prints JSON on its last line.

const PYTHON = '/usr/bin/python3'

async function python(broker: string, script: string): Promise<unknown> {
  const { code, stdout, stderr } = await run(PYTHON, ['-c', script, broker])
  expect(code, stderr).toBe(0)
  return JSON.parse(stdout.trim().split('\n').at(-1)!)
}

describe('kafka-python', () => {
  it('creates and lists topics with the admin client', async () => {
    const { bus, broker } = await serve()
    const topic = uniqueName('py-admin')
    const topics = await python(
      broker,
      `
import json, sys
from kafka.admin import KafkaAdminClient, NewTopic
admin = KafkaAdminClient(bootstrap_servers=sys.argv[1])
admin.create_topics([NewTopic(${JSON.stringify(topic)}, num_partitions=3, replication_factor=1)])
print(json.dumps(sorted(admin.list_topics())))
admin.close()
`,
    )
    expect(topics).toContain(topic)
    expect(bus.topic(topic).partitionCount).toBe(3)
  })

  it('produces keyed records (acks=1) where Kafka puts each key, for in-process consumers', async () => {
    const { bus, broker } = await serve()
    const topic = uniqueName('py-produce')
    await bus.createTopic(topic, { partitions: 4 })
    const offsets = (await python(
      broker,
      `
import json, sys
from kafka import KafkaProducer
producer = KafkaProducer(bootstrap_servers=sys.argv[1], acks=1)
futures = [producer.send(${JSON.stringify(topic)}, key=b'k%d' % i, value=b'v%d' % i) for i in range(20)]
producer.flush()
print(json.dumps([[f.get().partition, f.get().offset] for f in futures]))
producer.close()
`,
    )) as Array<[number, number]>
    const inProcess = bus.producer()
    for (let i = 0; i < 20; i++) {
      const [partition, offset] = offsets[i]!
      const [record] = await bus.topic(topic).partition(partition).read(offset)
      expect([String(record!.key), String(record!.value)]).toEqual([`k${i}`, `v${i}`])
      // The in-process producer's default partitioner agrees with kafka-python's (murmur2).
      expect((await inProcess.send(topic, { key: `k${i}`, value: 'x' })).partition).toBe(partition)
    }
    await inProcess.close()
  })

  it('consumes in a group from the beginning and commits offsets the bus sees', async () => {
    const { bus, broker } = await serve()
    const topic = uniqueName('py-group')
    const groupId = uniqueName('py')
    await bus.createTopic(topic, { partitions: 2 })
    await bus.producer().send(
      topic,
      Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
    )
    const values = await python(
      broker,
      `
import json, sys, time
from kafka import KafkaConsumer
consumer = KafkaConsumer(${JSON.stringify(topic)}, bootstrap_servers=sys.argv[1], group_id=${JSON.stringify(groupId)},
                         auto_offset_reset='earliest', enable_auto_commit=False)
seen = []
deadline = time.time() + 30
while len(seen) < 10 and time.time() < deadline:
    for records in consumer.poll(timeout_ms=500).values():
        seen.extend(r.value.decode() for r in records)
consumer.commit()
consumer.close()
print(json.dumps(sorted(seen)))
`,
    )
    expect(values).toEqual(Array.from({ length: 10 }, (_, i) => `v${i}`).sort())
    const group = bus.group(groupId)
    expect((group.committedOffset(topic, 0) ?? 0) + (group.committedOffset(topic, 1) ?? 0)).toBe(10)
  })
})
