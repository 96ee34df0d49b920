import { describe, expect, it } from 'vitest'
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ConfigResourceTypes,
  ConfigSource,
  KafkaJSAggregateError,
  KafkaJSCreateTopicError,
  KafkaJSDeleteGroupsError,
  KafkaJSDeleteTopicRecordsError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  type KafkaMessage,
  ResourcePatternTypes,
} from '../../src/kafkajs/index'
import { testKafka, uniqueName, waitUntil } from './harness'

describe('admin: topics', () => {
  it('creates topics, returning false when they all exist (admin/index.js createTopics)', async () => {
    const { admin: newAdmin } = testKafka()
    const admin = newAdmin()
    await admin.connect()
    const [a, b] = [uniqueName('a'), uniqueName('b')]
    expect(await admin.createTopics({ topics: [{ topic: a, numPartitions: 3 }] })).toBe(true)
    expect(await admin.createTopics({ topics: [{ topic: a }] })).toBe(false)
    expect(await admin.createTopics({ topics: [{ topic: a }, { topic: b }] })).toBe(false)
    expect((await admin.listTopics()).filter((t) => t === a || t === b).sort()).toEqual([a, b])
    expect(await admin.createTopics({ validateOnly: true, topics: [{ topic: uniqueName('v') }] })).toBe(true)
    await expect(admin.createTopics({ topics: [{ topic: a }, { topic: a }] })).rejects.toThrow(
      'Invalid topics array, it cannot have multiple entries for the same topic',
    )
  })

  it('reports invalid topics as KafkaJSAggregateError of KafkaJSCreateTopicError', async () => {
    const { admin: newAdmin } = testKafka()
    const admin = newAdmin()
    const error = await admin
      .createTopics({ topics: [{ topic: 'bad/name' }, { topic: uniqueName(), numPartitions: 0 }] })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KafkaJSAggregateError)
    const errors = (error as KafkaJSAggregateError).errors as KafkaJSCreateTopicError[]
    expect(errors.map((e) => e.type).sort()).toEqual(['INVALID_PARTITIONS', 'INVALID_TOPIC_EXCEPTION'])
    expect(errors.every((e) => e instanceof KafkaJSCreateTopicError)).toBe(true)
  })

  it('describes and replaces topic configs (describeConfigs, alterConfigs)', async () => {
    const { admin: newAdmin } = testKafka()
    const admin = newAdmin()
    const topic = uniqueName()
    await admin.createTopics({
      topics: [
        {
          topic,
          configEntries: [
            { name: 'retention.ms', value: '60000' },
            { name: 'compression.type', value: 'gzip' },
          ],
        },
      ],
    })
    const describe = async () => {
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: topic,
            configNames: ['retention.ms', 'compression.type', 'max.message.bytes'],
          },
        ],
      })
      return Object.fromEntries(
        resources[0]!.configEntries.map((e) => [e.configName, [e.configValue, e.configSource]]),
      )
    }
    expect(await describe()).toEqual({
      'compression.type': ['gzip', ConfigSource.TOPIC_CONFIG],
      'max.message.bytes': ['1048576', ConfigSource.DEFAULT_CONFIG],
      'retention.ms': ['60000', ConfigSource.TOPIC_CONFIG],
    })
    // AlterConfigs replaces the whole set: what is not given goes back to its default, as in Kafka.
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: topic,
          configEntries: [{ name: 'max.message.bytes', value: '2048' }],
        },
      ],
    })
    expect(await describe()).toEqual({
      'compression.type': ['producer', ConfigSource.DEFAULT_CONFIG],
      'max.message.bytes': ['2048', ConfigSource.TOPIC_CONFIG],
      'retention.ms': ['604800000', ConfigSource.DEFAULT_CONFIG],
    })
    await expect(
      admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: topic,
            configEntries: [{ name: 'cleanup.policy', value: 'compact,gzip' }],
          },
        ],
      }),
    ).rejects.toMatchObject({ type: 'INVALID_CONFIG' })
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: topic,
          configEntries: [
            { name: 'cleanup.policy', value: 'delete,compact' },
            { name: 'min.cleanable.dirty.ratio', value: '0.25' },
          ],
        },
      ],
    })
    const compaction = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: topic,
          configNames: ['cleanup.policy', 'min.cleanable.dirty.ratio'],
        },
      ],
    })
    expect(compaction.resources[0]!.configEntries.map((e) => [e.configName, e.configValue])).toEqual([
      ['cleanup.policy', 'compact,delete'],
      ['min.cleanable.dirty.ratio', '0.25'],
    ])
    await expect(
      admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: uniqueName() }],
      }),
    ).rejects.toMatchObject({ type: 'UNKNOWN_TOPIC_OR_PARTITION' })
  })

  // Kafka answers DescribeConfigs for a BROKER resource (its node id) with the broker's configs.
  it('describes the one broker’s configs (node 0), as a single-node Kafka reports them', async () => {
    const { admin: newAdmin } = testKafka({ brokers: ['kafka.local:9093'], logbus: { numPartitions: 3 } })
    const admin = newAdmin()
    const { resources } = await admin.describeConfigs({
      includeSynonyms: true,
      resources: [
        { type: ConfigResourceTypes.BROKER, name: '0' },
        {
          type: ConfigResourceTypes.BROKER,
          name: '0',
          configNames: ['num.partitions', 'log.retention.ms', 'auto.create.topics.enable'],
        },
      ],
    })
    const [all, some] = resources
    expect(all).toMatchObject({ errorCode: 0, resourceType: ConfigResourceTypes.BROKER, resourceName: '0' })
    const byName = new Map(all!.configEntries.map((e) => [e.configName, e]))
    expect(byName.get('listeners')?.configValue).toBe('PLAINTEXT://kafka.local:9093')
    expect(byName.get('default.replication.factor')?.configValue).toBe('1')
    expect(byName.get('num.partitions')).toMatchObject({
      configValue: '3',
      configSource: ConfigSource.STATIC_BROKER_CONFIG,
      readOnly: true,
      isDefault: false,
    })
    expect(byName.get('log.retention.ms')).toMatchObject({ readOnly: false, isDefault: true })
    expect(some!.configEntries.map((e) => e.configName)).toEqual([
      'auto.create.topics.enable',
      'log.retention.ms',
      'num.partitions',
    ])
    expect(some!.configEntries[0]!.configSynonyms).toEqual([
      {
        configName: 'auto.create.topics.enable',
        configValue: 'true',
        configSource: ConfigSource.DEFAULT_CONFIG,
      },
    ])
    await expect(
      admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.BROKER, name: '7' }],
      }),
    ).rejects.toThrow(/Broker 7 not found/)
  })

  it('grows topics, and consumers of the group pick the new partitions up', async () => {
    const client = testKafka()
    const admin = client.admin()
    const topic = uniqueName()
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] })
    const consumer = client.consumer({ groupId: uniqueName('g') })
    const joins: Array<Record<string, number[]>> = []
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => void joins.push(payload.memberAssignment))
    await consumer.subscribe({ topic })
    await consumer.run({ eachMessage: async () => {} })
    expect(await admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] })).toBe(true)
    await waitUntil(() => joins.length === 2)
    expect(joins[1]).toEqual({ [topic]: [0, 1, 2] })
    await expect(admin.createPartitions({ topicPartitions: [{ topic, count: 2 }] })).rejects.toMatchObject({
      type: 'INVALID_PARTITIONS',
    })
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] })
    expect(topics).toEqual([
      {
        name: topic,
        partitions: [0, 1, 2].map((partitionId) => ({
          partitionErrorCode: 0,
          partitionId,
          leader: 0,
          replicas: [0],
          isr: [0],
          offlineReplicas: [],
        })),
      },
    ])
  })

  // admin/index.js deleteTopics rethrows UNKNOWN_TOPIC_OR_PARTITION into its retrier.
  it('deletes topics, and retries an unknown topic before failing, as KafkaJS', async () => {
    const { admin: newAdmin } = testKafka()
    const admin = newAdmin({ retry: { retries: 1, initialRetryTime: 1 } })
    const topic = uniqueName()
    await admin.createTopics({ topics: [{ topic }] })
    await admin.deleteTopics({ topics: [topic] })
    expect(await admin.listTopics()).not.toContain(topic)
    const error = await admin.deleteTopics({ topics: [topic] }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KafkaJSNumberOfRetriesExceeded)
    expect((error as Error).cause).toMatchObject({ type: 'UNKNOWN_TOPIC_OR_PARTITION' })
  })

  // admin/index.js fetchTopicOffsetsByTimestamp falls back to the high watermark; deleteTopicRecords' errors.
  it('fetches topic offsets, by timestamp too, and deletes records', async () => {
    const client = testKafka()
    const admin = client.admin()
    const topic = uniqueName()
    const producer = client.producer()
    await producer.connect()
    await producer.send({
      topic,
      messages: [
        { value: 'a', timestamp: '1000' },
        { value: 'b', timestamp: '2000' },
        { value: 'c', timestamp: '3000' },
      ],
    })
    expect(await admin.fetchTopicOffsets(topic)).toEqual([{ partition: 0, offset: '3', high: '3', low: '0' }])
    expect(await admin.fetchTopicOffsetsByTimestamp(topic, 1500)).toEqual([{ partition: 0, offset: '1' }])
    expect(await admin.fetchTopicOffsetsByTimestamp(topic, 9000)).toEqual([{ partition: 0, offset: '3' }])
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '2' }] })
    expect(await admin.fetchTopicOffsets(topic)).toEqual([{ partition: 0, offset: '3', high: '3', low: '2' }])
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '-1' }] })
    expect((await admin.fetchTopicOffsets(topic))[0]?.low).toBe('3')
    const error = await admin
      .deleteTopicRecords({ topic, partitions: [{ partition: 7, offset: '0' }] })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KafkaJSDeleteTopicRecordsError)
    expect((error as KafkaJSDeleteTopicRecordsError).partitions[0]?.error.name).toBe('KafkaJSBrokerNotFound')
  })

  it('describes the cluster: one broker, from the configured address', async () => {
    const { admin: newAdmin } = testKafka({ brokers: ['kafka.internal:19092'] })
    const cluster = await newAdmin().describeCluster()
    expect(cluster).toEqual({
      brokers: [{ nodeId: 0, host: 'kafka.internal', port: 19092 }],
      controller: 0,
      clusterId: expect.stringMatching(/^logbus-/),
    })
  })
})

describe('admin: groups and offsets', () => {
  async function consumedGroup(client: ReturnType<typeof testKafka>) {
    const topic = uniqueName()
    const groupId = uniqueName('g')
    const producer = client.producer()
    await producer.connect()
    await producer.send({ topic, messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] })
    const consumer = client.consumer({ groupId })
    await consumer.subscribe({ topic, fromBeginning: true })
    const seen: KafkaMessage[] = []
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message) })
    await waitUntil(() => seen.length === 3)
    return { topic, groupId, consumer, seen }
  }

  it('lists, describes and deletes groups', async () => {
    const client = testKafka()
    const admin = client.admin()
    const { groupId, consumer } = await consumedGroup(client)
    expect((await admin.listGroups()).groups).toContainEqual({ groupId, protocolType: 'consumer' })
    const { groups } = await admin.describeGroups([groupId, uniqueName('none')])
    expect(groups[0]).toMatchObject({
      groupId,
      state: 'Stable',
      protocol: 'RoundRobinAssigner',
      protocolType: 'consumer',
    })
    expect(groups[1]).toMatchObject({ state: 'Dead', members: [], protocol: '', protocolType: '' })

    const running = await admin.deleteGroups([groupId]).catch((e: unknown) => e)
    expect(running).toBeInstanceOf(KafkaJSDeleteGroupsError)
    expect((running as KafkaJSDeleteGroupsError).groups[0]).toMatchObject({ groupId, errorCode: 68 })
    await consumer.disconnect()
    expect(await admin.deleteGroups([groupId])).toEqual([{ groupId, errorCode: 0 }])
    expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain(groupId)
    const missing = await admin.deleteGroups([groupId]).catch((e: unknown) => e)
    expect((missing as KafkaJSDeleteGroupsError).groups[0]?.error).toBeInstanceOf(KafkaJSProtocolError)
    expect((missing as KafkaJSDeleteGroupsError).groups[0]?.error?.type).toBe('GROUP_ID_NOT_FOUND')
  })

  // admin/index.js setOffsets: isConsumerGroupRunning accepts only the Empty and Dead states.
  it('sets and resets offsets only while the group has no running member, then the group resumes there', async () => {
    const client = testKafka()
    const admin = client.admin()
    const { topic, groupId, consumer } = await consumedGroup(client)
    await expect(
      admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '1' }] }),
    ).rejects.toThrow('The consumer group must have no running instances, current state: Stable')
    await consumer.disconnect()
    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '1' }] })
    expect(await admin.fetchOffsets({ groupId, topics: [topic] })).toEqual([
      { topic, partitions: [{ partition: 0, offset: '1', metadata: null }] },
    ])
    const again = client.consumer({ groupId })
    await again.subscribe({ topic })
    const seen: KafkaMessage[] = []
    await again.run({ eachMessage: async ({ message }) => void seen.push(message) })
    await waitUntil(() => seen.length === 2)
    expect(seen.map((m) => m.offset)).toEqual(['1', '2'])
    await again.disconnect()

    await admin.resetOffsets({ groupId, topic, earliest: true })
    expect((await admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions[0]?.offset).toBe('0')
    await admin.resetOffsets({ groupId, topic, earliest: false })
    expect((await admin.fetchOffsets({ groupId }))[0]).toEqual({
      topic,
      partitions: [{ partition: 0, offset: '3', metadata: null }],
    })
  })

  // admin/index.js fetchOffsets: resolveOffsets maps -2 to low and -1 to high, then setOffsets.
  it('fetchOffsets reports -1 where the group never committed, and resolveOffsets resolves it (to the latest offset)', async () => {
    const client = testKafka()
    const admin = client.admin()
    const topic = uniqueName()
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] })
    const producer = client.producer()
    await producer.connect()
    await producer.send({ topic, messages: [{ value: 'x', partition: 1 }] })
    const groupId = uniqueName('g')
    expect(await admin.fetchOffsets({ groupId, topics: [topic] })).toEqual([
      {
        topic,
        partitions: [
          { partition: 0, offset: '-1', metadata: null },
          { partition: 1, offset: '-1', metadata: null },
        ],
      },
    ])
    expect(
      (await admin.fetchOffsets({ groupId, topics: [topic], resolveOffsets: true }))[0]?.partitions,
    ).toEqual([
      { partition: 0, offset: '0', metadata: null },
      { partition: 1, offset: '1', metadata: null },
    ])
    expect((await admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions[1]?.offset).toBe('1')
  })
})

describe('admin: ACLs and reassignments', () => {
  it('stores ACLs (not enforced) and matches them with filters', async () => {
    const { admin: newAdmin } = testKafka()
    const admin = newAdmin()
    const acl = {
      resourceType: AclResourceTypes.TOPIC,
      resourceName: 'orders.',
      resourcePatternType: ResourcePatternTypes.PREFIXED,
      principal: 'User:bob',
      host: '*',
      operation: AclOperationTypes.READ,
      permissionType: AclPermissionTypes.ALLOW,
    }
    expect(await admin.createAcls({ acl: [acl] })).toBe(true)
    const filter = {
      resourceType: AclResourceTypes.TOPIC,
      resourceName: 'orders.eu',
      resourcePatternType: ResourcePatternTypes.MATCH,
      operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ANY,
    }
    const described = await admin.describeAcls(filter)
    expect(described.resources).toEqual([
      {
        resourceType: acl.resourceType,
        resourceName: 'orders.',
        resourcePatternType: ResourcePatternTypes.PREFIXED,
        acls: [
          {
            principal: 'User:bob',
            host: '*',
            operation: AclOperationTypes.READ,
            permissionType: AclPermissionTypes.ALLOW,
          },
        ],
      },
    ])
    const deleted = await admin.deleteAcls({ filters: [filter] })
    expect(deleted.filterResponses[0]?.matchingAcls).toHaveLength(1)
    expect((await admin.describeAcls(filter)).resources).toEqual([])
  })

  it('has nothing to reassign: one broker holds every replica', async () => {
    const { admin: newAdmin } = testKafka()
    const admin = newAdmin()
    const topic = uniqueName()
    await admin.createTopics({ topics: [{ topic }] })
    await admin.alterPartitionReassignments({
      topics: [{ topic, partitionAssignment: [{ partition: 0, replicas: [0] }] }],
    })
    await expect(
      admin.alterPartitionReassignments({
        topics: [{ topic, partitionAssignment: [{ partition: 0, replicas: [1] }] }],
      }),
    ).rejects.toMatchObject({ type: 'INVALID_REPLICA_ASSIGNMENT' })
    expect(await admin.listPartitionReassignments({})).toEqual({ topics: [] })
  })
})
