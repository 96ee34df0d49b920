import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { type ApiInfo, apiInfo } from '../../../src/wire/protocol/apis'
import { decodeMessage, encodeMessage } from '../../../src/wire/protocol/codec'
import { decodeRequest, encodeResponse } from '../../../src/wire/protocol/request'
import { prng, sampleMessage } from './samples'

// KafkaJS 2.2.4's own request encoders and response decoders, as an independent implementation of
// the (non-flexible) versions it speaks.
const require = createRequire(import.meta.url)
const kafkajsEncoder = require('kafkajs/src/protocol/encoder') as new () => {
  writeInt32(v: number): unknown
  writeInt16(v: number): unknown
  writeString(v: string): unknown
  writeEncoder(e: unknown): unknown
  readonly buffer: Buffer
}

interface KafkajsProtocol {
  versions: string[]
  protocol(options: { version: number }): (args: unknown) => {
    request: { apiKey: number; apiVersion: number; encode(): Promise<{ buffer: Buffer }> }
    response: { decode(payload: Buffer): Promise<unknown> }
  }
}

function kafkajs(dir: string): KafkajsProtocol {
  return require(`kafkajs/src/protocol/requests/${dir}`) as KafkajsProtocol
}

/** Every primitive value in an object tree, as strings (kafkajs reads int64 as strings). */
function leaves(value: unknown, out: string[] = []): string[] {
  if (value === null || value === undefined) return out
  if (Buffer.isBuffer(value)) out.push(`b:${value.toString('hex')}`)
  else if (Array.isArray(value)) for (const v of value) leaves(v, out)
  else if (typeof value === 'object') for (const v of Object.values(value)) leaves(v, out)
  else out.push(String(value))
  return out
}

function expectSubset(ours: string[], theirs: string[]): void {
  const pool = new Map<string, number>()
  for (const leaf of theirs) pool.set(leaf, (pool.get(leaf) ?? 0) + 1)
  const missing = ours.filter((leaf) => {
    const n = pool.get(leaf) ?? 0
    if (n === 0) return true
    pool.set(leaf, n - 1)
    return false
  })
  expect(missing).toEqual([])
}

interface Case {
  dir: string
  apiKey: number
  args: unknown
  /** Fields of our decoded request to check exactly (beyond the leaf check). */
  expectRequest?: (body: Record<string, unknown>, version: number) => void
  /** Adjusts our sample response before encoding (e.g. valid record bytes). */
  response?: (body: Record<string, unknown>, version: number) => void
  /** Undoes KafkaJS's own post-processing of a decoded response. */
  theirs?: (decoded: Record<string, unknown>) => unknown
}

const batch = Buffer.alloc(0)

const cases: Case[] = [
  {
    dir: 'produce',
    apiKey: 0,
    args: {
      acks: -1,
      timeout: 30000,
      transactionalId: 'tx-1',
      producerId: 4321,
      producerEpoch: 3,
      topicData: [
        {
          topic: 'orders',
          partitions: [{ partition: 2, messages: [{ key: 'k1', value: 'v1', timestamp: 1 }] }],
        },
      ],
    },
    expectRequest: (body, version) => {
      expect(body.acks).toBe(-1)
      expect(body.timeoutMs).toBe(30000)
      expect(body.transactionalId).toBe(version >= 3 ? 'tx-1' : null)
      const topic = (
        body.topicData as { name: string; partitionData: { index: number; records: Buffer }[] }[]
      )[0]!
      expect(topic.name).toBe('orders')
      expect(topic.partitionData[0]!.index).toBe(2)
      const records = topic.partitionData[0]!.records
      // v3+ carries a RecordBatch v2 (magic byte at offset 16), older versions a MessageSet.
      if (version >= 3) expect(records.readInt8(16)).toBe(2)
      expect(records.includes('v1')).toBe(true)
    },
  },
  {
    dir: 'fetch',
    apiKey: 1,
    args: {
      replicaId: -1,
      maxWaitTime: 5000,
      minBytes: 7,
      maxBytes: 1048576,
      isolationLevel: 1,
      sessionId: 11,
      sessionEpoch: 12,
      rackId: 'rack-a',
      topics: [
        {
          topic: 'orders',
          partitions: [
            { partition: 3, fetchOffset: '1234567890123', maxBytes: 65536, currentLeaderEpoch: 9 },
          ],
        },
      ],
    },
    expectRequest: (body) => {
      expect(body.maxWaitMs).toBe(5000)
      expect(body.minBytes).toBe(7)
      const partition = (
        body.topics as { partitions: { fetchOffset: bigint; partitionMaxBytes: number }[] }[]
      )[0]!.partitions[0]!
      expect(partition.fetchOffset).toBe(1234567890123n)
      expect(partition.partitionMaxBytes).toBe(65536)
    },
    response: (body) => {
      for (const topic of body.responses as { partitions: Record<string, unknown>[] }[]) {
        for (const partition of topic.partitions) partition.records = batch
      }
    },
  },
  {
    dir: 'listOffsets',
    apiKey: 2,
    args: {
      replicaId: -1,
      isolationLevel: 1,
      topics: [{ topic: 'orders', partitions: [{ partition: 1, timestamp: -2 }] }],
    },
    expectRequest: (body) => {
      const partition = (body.topics as { partitions: { timestamp: bigint }[] }[])[0]!.partitions[0]!
      expect(partition.timestamp).toBe(-2n)
    },
  },
  {
    dir: 'metadata',
    apiKey: 3,
    args: { topics: ['orders', 'payments'], allowAutoTopicCreation: false },
    expectRequest: (body, version) => {
      expect((body.topics as { name: string }[]).map((t) => t.name)).toEqual(['orders', 'payments'])
      // Before v4 there is no such field: the default (true) applies.
      expect(body.allowAutoTopicCreation).toBe(version < 4)
    },
  },
  {
    dir: 'offsetCommit',
    apiKey: 8,
    args: {
      groupId: 'billing',
      groupGenerationId: 5,
      memberId: 'member-1',
      retentionTime: 86400000,
      topics: [{ topic: 'orders', partitions: [{ partition: 0, offset: '42', metadata: 'meta' }] }],
    },
    expectRequest: (body, version) => {
      expect(body.groupId).toBe('billing')
      if (version >= 1) expect(body.generationIdOrMemberEpoch).toBe(5)
      const partition = (body.topics as { partitions: { committedOffset: bigint }[] }[])[0]!.partitions[0]!
      expect(partition.committedOffset).toBe(42n)
    },
  },
  {
    dir: 'offsetFetch',
    apiKey: 9,
    args: {
      groupId: 'billing',
      topics: [{ topic: 'orders', partitions: [{ partition: 0 }, { partition: 1 }] }],
    },
    expectRequest: (body) => {
      expect((body.topics as { partitionIndexes: number[] }[])[0]!.partitionIndexes).toEqual([0, 1])
    },
  },
  {
    dir: 'findCoordinator',
    apiKey: 10,
    args: { groupId: 'billing', coordinatorType: 1 },
    expectRequest: (body, version) => {
      expect(body.key).toBe('billing')
      expect(body.keyType).toBe(version >= 1 ? 1 : 0)
    },
  },
  {
    dir: 'joinGroup',
    apiKey: 11,
    args: {
      groupId: 'billing',
      sessionTimeout: 30000,
      rebalanceTimeout: 60000,
      memberId: '',
      groupInstanceId: 'static-1',
      protocolType: 'consumer',
      groupProtocols: [{ name: 'RoundRobinAssigner', metadata: Buffer.from('meta') }],
    },
    expectRequest: (body, version) =>
      expect(body).toMatchObject({
        groupId: 'billing',
        sessionTimeoutMs: 30000,
        rebalanceTimeoutMs: version >= 1 ? 60000 : -1,
        groupInstanceId: version >= 5 ? 'static-1' : null,
        protocolType: 'consumer',
        protocols: [{ name: 'RoundRobinAssigner', metadata: Buffer.from('meta') }],
      }),
  },
  {
    dir: 'heartbeat',
    apiKey: 12,
    args: { groupId: 'billing', groupGenerationId: 4, memberId: 'member-1', groupInstanceId: 'static-1' },
    expectRequest: (body) =>
      expect(body).toMatchObject({ groupId: 'billing', generationId: 4, memberId: 'member-1' }),
  },
  { dir: 'leaveGroup', apiKey: 13, args: { groupId: 'billing', memberId: 'member-1' } },
  {
    dir: 'syncGroup',
    apiKey: 14,
    args: {
      groupId: 'billing',
      generationId: 4,
      memberId: 'member-1',
      groupInstanceId: 'static-1',
      groupAssignment: [{ memberId: 'member-1', memberAssignment: Buffer.from('assignment') }],
    },
    expectRequest: (body) =>
      expect(body).toMatchObject({
        generationId: 4,
        assignments: [{ memberId: 'member-1', assignment: Buffer.from('assignment') }],
      }),
  },
  { dir: 'describeGroups', apiKey: 15, args: { groupIds: ['billing', 'shipping'] } },
  { dir: 'listGroups', apiKey: 16, args: {} },
  { dir: 'saslHandshake', apiKey: 17, args: { mechanism: 'SCRAM-SHA-256' } },
  { dir: 'apiVersions', apiKey: 18, args: {} },
  {
    dir: 'createTopics',
    apiKey: 19,
    args: {
      topics: [
        {
          topic: 'orders',
          numPartitions: 3,
          replicationFactor: 1,
          replicaAssignment: [{ partition: 0, replicas: [1] }],
          configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
        },
      ],
      validateOnly: true,
      timeout: 1234,
    },
    expectRequest: (body, version) =>
      expect(body).toMatchObject({
        topics: [
          {
            name: 'orders',
            numPartitions: 3,
            replicationFactor: 1,
            assignments: [{ partitionIndex: 0, brokerIds: [1] }],
            configs: [{ name: 'cleanup.policy', value: 'compact' }],
          },
        ],
        timeoutMs: 1234,
        validateOnly: version >= 1,
      }),
  },
  { dir: 'deleteTopics', apiKey: 20, args: { topics: ['orders', 'payments'], timeout: 1234 } },
  {
    dir: 'deleteRecords',
    apiKey: 21,
    args: { topics: [{ topic: 'orders', partitions: [{ partition: 0, offset: '77' }] }], timeout: 1234 },
    expectRequest: (body) =>
      expect(body).toMatchObject({
        topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, offset: 77n }] }],
      }),
  },
  {
    dir: 'initProducerId',
    apiKey: 22,
    args: { transactionalId: 'tx-1', transactionTimeout: 60000 },
    expectRequest: (body) =>
      expect(body).toMatchObject({ transactionalId: 'tx-1', transactionTimeoutMs: 60000 }),
  },
  {
    dir: 'addPartitionsToTxn',
    apiKey: 24,
    args: {
      transactionalId: 'tx-1',
      producerId: '4321',
      producerEpoch: 3,
      topics: [{ topic: 'orders', partitions: [0, 5] }],
    },
    expectRequest: (body) =>
      expect(body).toMatchObject({
        v3AndBelowTransactionalId: 'tx-1',
        v3AndBelowProducerId: 4321n,
        v3AndBelowProducerEpoch: 3,
        v3AndBelowTopics: [{ name: 'orders', partitions: [0, 5] }],
      }),
  },
  {
    dir: 'addOffsetsToTxn',
    apiKey: 25,
    args: { transactionalId: 'tx-1', producerId: '4321', producerEpoch: 3, groupId: 'billing' },
  },
  {
    dir: 'endTxn',
    apiKey: 26,
    args: { transactionalId: 'tx-1', producerId: '4321', producerEpoch: 3, transactionResult: true },
    expectRequest: (body) => expect(body.committed).toBe(true),
  },
  {
    dir: 'txnOffsetCommit',
    apiKey: 28,
    args: {
      transactionalId: 'tx-1',
      groupId: 'billing',
      producerId: '4321',
      producerEpoch: 3,
      topics: [{ topic: 'orders', partitions: [{ partition: 0, offset: '99', metadata: 'm' }] }],
    },
    expectRequest: (body) =>
      expect(body).toMatchObject({
        transactionalId: 'tx-1',
        groupId: 'billing',
        producerId: 4321n,
        topics: [{ name: 'orders', partitions: [{ committedOffset: 99n, committedMetadata: 'm' }] }],
      }),
  },
  {
    dir: 'describeConfigs',
    apiKey: 32,
    args: { resources: [{ type: 2, name: 'orders', configNames: ['retention.ms'] }], includeSynonyms: true },
    expectRequest: (body) =>
      expect(body).toMatchObject({
        resources: [{ resourceType: 2, resourceName: 'orders', configurationKeys: ['retention.ms'] }],
      }),
  },
  {
    dir: 'alterConfigs',
    apiKey: 33,
    args: {
      resources: [{ type: 2, name: 'orders', configEntries: [{ name: 'retention.ms', value: '1000' }] }],
      validateOnly: true,
    },
  },
  {
    dir: 'saslAuthenticate',
    apiKey: 36,
    // KafkaJS's SASL mechanisms hand over the bytes field already length-prefixed.
    args: { authBytes: Buffer.concat([Buffer.from([0, 0, 0, 12]), Buffer.from('\0user\0secret')]) },
    expectRequest: (body) => expect(body.authBytes).toEqual(Buffer.from('\0user\0secret')),
    theirs: (decoded) => ({ ...decoded, authBytes: (decoded.authBytes as Buffer).subarray(4) }),
  },
  {
    dir: 'createPartitions',
    apiKey: 37,
    args: { topicPartitions: [{ topic: 'orders', count: 6, assignments: [[1], [1]] }], validateOnly: true },
    expectRequest: (body) =>
      expect(body).toMatchObject({
        topics: [{ name: 'orders', count: 6, assignments: [{ brokerIds: [1] }, { brokerIds: [1] }] }],
        validateOnly: true,
      }),
  },
  { dir: 'deleteGroups', apiKey: 42, args: ['billing', 'shipping'] },
]

async function kafkajsRequestFrame(api: ApiInfo, c: Case, version: number): Promise<Buffer> {
  const { request } = kafkajs(c.dir).protocol({ version })(c.args)
  expect(request.apiKey).toBe(api.apiKey)
  expect(request.apiVersion).toBe(version)
  const payload = (await request.encode()).buffer
  // KafkaJS's request header v1: api key, version, correlation id, client id.
  const header = new kafkajsEncoder()
  header.writeInt16(request.apiKey)
  header.writeInt16(request.apiVersion)
  header.writeInt32(77)
  header.writeString('kafkajs-client')
  return Buffer.concat([header.buffer, payload])
}

describe('KafkaJS 2.2.4 known answers', () => {
  for (const c of cases) {
    const api = apiInfo(c.apiKey)!
    for (const v of kafkajs(c.dir).versions) {
      const version = Number(v)
      it(`${api.name} v${version}: KafkaJS's request decodes, our response decodes in KafkaJS`, async () => {
        const frame = await kafkajsRequestFrame(api, c, version)
        const decoded = decodeRequest(frame)
        expect(decoded.header).toEqual({
          apiKey: c.apiKey,
          apiVersion: version,
          correlationId: 77,
          clientId: 'kafkajs-client',
        })
        // Strict: the body must be consumed exactly, and our encoder must give back KafkaJS's bytes.
        const payload = frame.subarray(headerLength(frame))
        const body = decodeMessage(api.request, version, payload)
        expect(body).toEqual(decoded.body)
        expect(encodeMessage(api.request, version, body).toBuffer()).toEqual(payload)
        c.expectRequest?.(body, version)

        const sample = sampleMessage(api.response, version, prng(c.apiKey * 100 + version))
        c.response?.(sample.input, version)
        const response = encodeMessage(api.response, version, sample.input).toBuffer()
        const decodedByKafkajs = await kafkajs(c.dir).protocol({ version })(c.args).response.decode(response)
        const theirs = c.theirs?.(decodedByKafkajs as Record<string, unknown>) ?? decodedByKafkajs
        // Record bytes come back from KafkaJS as decoded messages, not as a buffer.
        const ours = leaves(sample.input).filter((leaf) => c.dir !== 'fetch' || !leaf.startsWith('b:'))
        expectSubset(ours, leaves(theirs))
        // And the framed response carries the same payload after the v0 header.
        const framed = encodeResponse(c.apiKey as never, version, 5, sample.input as never)
        expect(framed.subarray(8)).toEqual(response)
      })
    }
  }
})

function headerLength(frame: Buffer): number {
  return 2 + 2 + 4 + 2 + frame.readInt16BE(8)
}
