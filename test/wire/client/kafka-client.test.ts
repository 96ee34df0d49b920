import { createServer } from 'node:net'
import { describe, expect, it, onTestFinished } from 'vitest'
import { ClosedError, InvalidConfigError, UnknownTopicError } from '../../../src/index'
import { ApiKeys, KafkaClient, parseBootstrapServers } from '../../../src/wire'
import { serve } from '../support'

async function client(bootstrapServers: string | string[]): Promise<KafkaClient> {
  const connected = await KafkaClient.connect({ bootstrapServers, clientId: 'client-test' })
  onTestFinished(() => connected.close())
  return connected
}

/** A loopback port with nothing listening on it. */
async function deadPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe('KafkaClient', () => {
  it('tries the bootstrap servers in order and uses the first that answers', async () => {
    const { broker } = await serve()
    const dead = `127.0.0.1:${await deadPort()}`
    const kafka = await client(`${dead},${broker}`)
    expect(kafka.bootstrap.address).toBe(broker)
    await expect(KafkaClient.connect({ bootstrapServers: dead })).rejects.toThrow(
      `Cannot connect to ${dead}: connection refused`,
    )
  })

  it('reads metadata without ever creating a topic, and routes partitions to their leader', async () => {
    const { bus, broker } = await serve()
    await bus.createTopic('orders', { partitions: 3 })
    const kafka = await client(broker)
    const all = await kafka.metadata(null)
    expect(all.topics.map((t) => [t.name, t.partitions.map((p) => p.partition)])).toEqual([
      ['orders', [0, 1, 2]],
    ])
    expect(all.brokers).toHaveLength(1)
    // The server creates topics on Metadata (autoCreateTopics), but the client asks it not to.
    await expect(kafka.topic('nope')).rejects.toThrow(UnknownTopicError)
    expect(bus.listTopics()).toEqual(['orders'])
    // One broker, reached at the address it advertises: the bootstrap connection is the leader's.
    expect(await kafka.leader('orders', 2)).toBe(kafka.bootstrap)
    await expect(kafka.leader('orders', 7)).rejects.toThrow(new UnknownTopicError('orders', 7).message)
  })

  it('talks to a group coordinator on a connection of its own', async () => {
    const { broker } = await serve()
    const kafka = await client(broker)
    const coordinator = await kafka.coordinator('billing')
    expect(coordinator).not.toBe(kafka.bootstrap)
    expect(coordinator.address).toBe(broker)
    expect(await kafka.coordinator('billing')).toBe(coordinator)
    await kafka.forgetCoordinator('billing')
    expect(coordinator.usable).toBe(false)
    expect(await kafka.coordinator('billing')).not.toBe(coordinator)
  })

  it('DescribeLogDirs reports each partition’s size as the bus has it', async () => {
    const { bus, broker } = await serve()
    await bus.createTopic('sized', { partitions: 2 })
    const producer = bus.producer()
    await producer.send('sized', [
      { partition: 1, value: 'x'.repeat(100) },
      { partition: 1, value: 'y' },
    ])
    await producer.close()
    const kafka = await client(broker)
    const { body } = await kafka.bootstrap.send(ApiKeys.DescribeLogDirs, () => ({
      topics: [{ topic: 'sized', partitions: [0, 1, 5] }],
    }))
    const partitions = body.results[0]!.topics[0]!.partitions
    expect(partitions.map((p) => [p.partitionIndex, Number(p.partitionSize)])).toEqual([
      [0, 0],
      [1, bus.topic('sized').partition(1).sizeBytes],
    ])
    expect(Number(partitions[1]!.partitionSize)).toBeGreaterThan(100)
  })

  it('close is idempotent; a closed client refuses work', async () => {
    const { broker } = await serve()
    const kafka = await client(broker)
    await kafka.close()
    await kafka.close()
    await expect(kafka.metadata(null)).rejects.toThrow(ClosedError)
    expect(() => kafka.bootstrap).toThrow(ClosedError)
  })
})

describe('parseBootstrapServers', () => {
  it('reads host:port lists, IPv6 in brackets, and refuses anything else', () => {
    expect(parseBootstrapServers('a:9092, b:9093')).toEqual([
      { host: 'a', port: 9092 },
      { host: 'b', port: 9093 },
    ])
    expect(parseBootstrapServers(['[::1]:9092'])).toEqual([{ host: '::1', port: 9092 }])
    for (const bad of ['', 'kafka', 'kafka:', 'kafka:0', 'kafka:70000', '::1:9092', 'a:b']) {
      expect(() => parseBootstrapServers(bad), bad).toThrow(InvalidConfigError)
    }
  })
})
