import { describe, expect, it } from 'vitest'
import { LogbusError, UnknownTopicError } from '../../../src/errors'
import { API_TABLE, ApiKeys, apiInfo } from '../../../src/wire/protocol/apis'
import { KafkaErrors, kafkaError, kafkaErrorOf } from '../../../src/wire/protocol/error-codes'
import { requestHeaderVersion, responseHeaderVersion } from '../../../src/wire/protocol/header'
import { ProtocolError } from '../../../src/wire/protocol/protocol-error'
import {
  decodeRequest,
  decodeResponse,
  encodeApiVersionsFallback,
  encodeRequest,
  encodeResponse,
  encodeResponseChunks,
  supportedApiVersions,
} from '../../../src/wire/protocol/request'

function thrown(run: () => unknown): ProtocolError {
  try {
    run()
  } catch (err) {
    if (err instanceof ProtocolError) return err
    throw err
  }
  throw new Error('did not throw')
}

describe('decodeRequest', () => {
  it('reads header v1 and v2: client id, tagged fields, and a null client id', () => {
    const v1 = encodeRequest(
      { apiKey: 12, apiVersion: 3, correlationId: -5, clientId: 'ünï' },
      { groupId: 'g' },
    )
    expect(decodeRequest(v1.subarray(4)).header).toEqual({
      apiKey: 12,
      apiVersion: 3,
      correlationId: -5,
      clientId: 'ünï',
    })
    const v2 = encodeRequest(
      { apiKey: 12, apiVersion: 4, correlationId: 9, clientId: null },
      { groupId: 'g' },
    )
    // Header v2 ends with an empty tagged-field section after the (non-compact) client id.
    expect(v2.subarray(4, 16)).toEqual(Buffer.from([0, 12, 0, 4, 0, 0, 0, 9, 0xff, 0xff, 0, 2]))
    const request = decodeRequest(v2.subarray(4))
    expect(request.header.clientId).toBeNull()
    if (request.apiKey !== ApiKeys.Heartbeat) throw new Error('narrowing')
    expect(request.body.groupId).toBe('g')
  })

  it('an unknown API key and a truncated header are malformed', () => {
    const unknown = thrown(() => decodeRequest(Buffer.from([0x7f, 0x00, 0, 0, 0, 0, 0, 1, 0, 0])))
    expect(unknown.kind).toBe('unknown-api')
    expect(unknown.code).toBe('INVALID_REQUEST')
    expect(unknown.kafkaErrorCode).toBe(42)
    expect(unknown).toBeInstanceOf(LogbusError)
    expect(thrown(() => decodeRequest(Buffer.from([0, 3, 0]))).kind).toBe('malformed')
  })

  it('an unsupported version carries the header, so ApiVersions can answer with the v0 fallback', () => {
    // A client newer than us asks ApiVersions v9 with header v2 (flexible from v3).
    const frame = Buffer.from([0, 18, 0, 9, 0, 0, 0, 42, 0, 3, 0x61, 0x70, 0x70, 0, 2, 0x61, 2, 0x62, 0])
    const err = thrown(() => decodeRequest(frame))
    expect(err.kind).toBe('unsupported-version')
    expect(err.code).toBe('UNSUPPORTED_VERSION')
    expect(err.header).toEqual({ apiKey: 18, apiVersion: 9, correlationId: 42, clientId: 'app' })
    const answer = encodeApiVersionsFallback(err.header!.correlationId!)
    const { correlationId, body } = decodeResponse(18, 0, answer.subarray(4))
    expect(correlationId).toBe(42)
    expect(body.errorCode).toBe(KafkaErrors.UNSUPPORTED_VERSION)
    expect(body.apiKeys).toEqual(supportedApiVersions())
    expect(body.apiKeys.find((k) => k.apiKey === 18)).toEqual({ apiKey: 18, minVersion: 0, maxVersion: 4 })
  })

  it('ignores bytes after the body, as Kafka does', () => {
    const frame = encodeRequest(
      { apiKey: 17, apiVersion: 1, correlationId: 1, clientId: 'c' },
      { mechanism: 'PLAIN' },
    )
    const request = decodeRequest(Buffer.concat([frame.subarray(4), Buffer.from([1, 2, 3])]))
    expect(request.body).toEqual({ mechanism: 'PLAIN' })
  })
})

describe('encodeResponse', () => {
  it('uses response header v1 in flexible versions, v0 otherwise, and v0 always for ApiVersions', () => {
    expect(responseHeaderVersion(3, 8)).toBe(0)
    expect(responseHeaderVersion(3, 9)).toBe(1)
    expect(responseHeaderVersion(18, 3)).toBe(0)
    expect(requestHeaderVersion(18, 3)).toBe(2)
    expect(requestHeaderVersion(0, 8)).toBe(1)
    const flexible = encodeResponse(12, 4, 7, { errorCode: 27 })
    expect(flexible).toEqual(Buffer.from([0, 0, 0, 12, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 27, 0]))
    const apiVersions = encodeResponse(18, 3, 7, { apiKeys: [] })
    // No tagged-field byte after the correlation id; the body starts at once with the error code.
    expect(apiVersions.subarray(4, 10)).toEqual(Buffer.from([0, 0, 0, 7, 0, 0]))
  })

  it('keeps large record batches by reference in the chunks', () => {
    const records = Buffer.alloc(64 * 1024, 1)
    const chunks = encodeResponseChunks(1, 11, 1, {
      responses: [{ topic: 't', partitions: [{ partitionIndex: 0, records }] }],
    })
    expect(chunks.some((chunk) => chunk === records)).toBe(true)
    const whole = Buffer.concat(chunks)
    expect(whole.readInt32BE(0)).toBe(whole.length - 4)
    const { body } = decodeResponse(1, 11, whole.subarray(4))
    expect(body.responses[0]!.partitions[0]!.records).toEqual(records)
  })

  it('refuses a non-ignorable field with a non-default value in a version without it', () => {
    // Fetch sessionId is non-ignorable in requests and only exists from v7.
    const err = thrown(() =>
      encodeRequest({ apiKey: 1, apiVersion: 6, correlationId: 1, clientId: null }, { sessionId: 5 }),
    )
    expect(err.kind).toBe('unencodable')
    // An ignorable one is dropped: throttleTimeMs does not exist in Heartbeat v0.
    expect(encodeResponse(12, 0, 1, { throttleTimeMs: 100, errorCode: 0 }).length).toBe(10)
    expect(thrown(() => encodeResponse(12, 4, 1, { errorCode: 1 << 20 })).kind).toBe('unencodable')
  })
})

describe('API table', () => {
  it('lists every API the issue names, with request and response ranges that agree', () => {
    expect(API_TABLE.map((api) => api.name)).toEqual([
      'Produce',
      'Fetch',
      'ListOffsets',
      'Metadata',
      'OffsetCommit',
      'OffsetFetch',
      'FindCoordinator',
      'JoinGroup',
      'Heartbeat',
      'LeaveGroup',
      'SyncGroup',
      'DescribeGroups',
      'ListGroups',
      'SaslHandshake',
      'ApiVersions',
      'CreateTopics',
      'DeleteTopics',
      'DeleteRecords',
      'InitProducerId',
      'AddPartitionsToTxn',
      'AddOffsetsToTxn',
      'EndTxn',
      'TxnOffsetCommit',
      'DescribeConfigs',
      'AlterConfigs',
      'DescribeLogDirs',
      'SaslAuthenticate',
      'CreatePartitions',
      'DeleteGroups',
      'IncrementalAlterConfigs',
      'DescribeCluster',
      'ConsumerGroupHeartbeat',
    ])
    for (const api of API_TABLE) {
      expect(api.response.validVersions).toBe(api.request.validVersions)
      expect(api.response.flexibleVersions).toBe(api.request.flexibleVersions)
      expect(api.request.apiKey).toBe(api.apiKey)
      expect(api.response.apiKey).toBe(api.apiKey)
    }
    expect(apiInfo(1)).toMatchObject({ name: 'Fetch', minVersion: 0, maxVersion: 17, flexibleFrom: 12 })
    expect(apiInfo(17)?.flexibleFrom).toBeNull()
    expect(ApiKeys.ConsumerGroupHeartbeat).toBe(68)
  })
})

describe('Kafka error codes', () => {
  it('names codes as Kafka does, unknown codes read as UNKNOWN_SERVER_ERROR', () => {
    expect(kafkaError(6)).toEqual({ code: 6, name: 'NOT_LEADER_OR_FOLLOWER', retriable: true })
    expect(kafkaError(27)).toEqual({ code: 27, name: 'REBALANCE_IN_PROGRESS', retriable: false })
    expect(kafkaError(9999).name).toBe('UNKNOWN_SERVER_ERROR')
    expect(KafkaErrors.SHARE_SESSION_LIMIT_REACHED).toBe(133)
    const codes = Object.values(KafkaErrors)
    expect(new Set(codes).size).toBe(codes.length)
  })

  it('maps logbus errors through their kafkaErrorCode, and agrees with Kafka on shared names', () => {
    expect(kafkaErrorOf(new UnknownTopicError('t'))).toEqual({
      code: 3,
      name: 'UNKNOWN_TOPIC_OR_PARTITION',
      retriable: true,
    })
    expect(kafkaErrorOf(new Error('boom')).code).toBe(-1)
    expect(kafkaErrorOf(new ProtocolError('malformed', 'x')).name).toBe('INVALID_REQUEST')
    const codes = [
      'UNKNOWN_TOPIC_OR_PARTITION',
      'TOPIC_ALREADY_EXISTS',
      'INVALID_TOPIC_EXCEPTION',
      'INVALID_PARTITIONS',
      'INVALID_CONFIG',
      'INVALID_RECORD',
      'MESSAGE_TOO_LARGE',
      'REQUEST_TIMED_OUT',
      'CORRUPT_MESSAGE',
      'KAFKA_STORAGE_ERROR',
      'OFFSET_OUT_OF_RANGE',
      'ILLEGAL_GENERATION',
      'UNKNOWN_MEMBER_ID',
      'FENCED_INSTANCE_ID',
      'NON_EMPTY_GROUP',
      'GROUP_ID_NOT_FOUND',
      'INCONSISTENT_GROUP_PROTOCOL',
      'INVALID_REQUEST',
      'UNSUPPORTED_VERSION',
    ] as const
    for (const code of codes) expect(new LogbusError(code, 'x').kafkaErrorCode).toBe(KafkaErrors[code])
  })
})
