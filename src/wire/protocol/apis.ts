import { ApiVersionsRequestSchema, ApiVersionsResponseSchema } from './messages/api-versions'
import {
  AlterConfigsRequestSchema,
  AlterConfigsResponseSchema,
  DescribeConfigsRequestSchema,
  DescribeConfigsResponseSchema,
  IncrementalAlterConfigsRequestSchema,
  IncrementalAlterConfigsResponseSchema,
} from './messages/configs'
import {
  ConsumerGroupHeartbeatRequestSchema,
  ConsumerGroupHeartbeatResponseSchema,
} from './messages/consumer-group-heartbeat'
import { CreatePartitionsRequestSchema, CreatePartitionsResponseSchema } from './messages/create-partitions'
import { CreateTopicsRequestSchema, CreateTopicsResponseSchema } from './messages/create-topics'
import { DeleteGroupsRequestSchema, DeleteGroupsResponseSchema } from './messages/delete-groups'
import { DeleteRecordsRequestSchema, DeleteRecordsResponseSchema } from './messages/delete-records'
import { DeleteTopicsRequestSchema, DeleteTopicsResponseSchema } from './messages/delete-topics'
import { DescribeClusterRequestSchema, DescribeClusterResponseSchema } from './messages/describe-cluster'
import { DescribeGroupsRequestSchema, DescribeGroupsResponseSchema } from './messages/describe-groups'
import { DescribeLogDirsRequestSchema, DescribeLogDirsResponseSchema } from './messages/describe-log-dirs'
import { FetchRequestSchema, FetchResponseSchema } from './messages/fetch'
import { FindCoordinatorRequestSchema, FindCoordinatorResponseSchema } from './messages/find-coordinator'
import { HeartbeatRequestSchema, HeartbeatResponseSchema } from './messages/heartbeat'
import { InitProducerIdRequestSchema, InitProducerIdResponseSchema } from './messages/init-producer-id'
import { JoinGroupRequestSchema, JoinGroupResponseSchema } from './messages/join-group'
import { LeaveGroupRequestSchema, LeaveGroupResponseSchema } from './messages/leave-group'
import { ListGroupsRequestSchema, ListGroupsResponseSchema } from './messages/list-groups'
import { ListOffsetsRequestSchema, ListOffsetsResponseSchema } from './messages/list-offsets'
import { MetadataRequestSchema, MetadataResponseSchema } from './messages/metadata'
import { OffsetCommitRequestSchema, OffsetCommitResponseSchema } from './messages/offset-commit'
import { OffsetFetchRequestSchema, OffsetFetchResponseSchema } from './messages/offset-fetch'
import { ProduceRequestSchema, ProduceResponseSchema } from './messages/produce'
import {
  SaslAuthenticateRequestSchema,
  SaslAuthenticateResponseSchema,
  SaslHandshakeRequestSchema,
  SaslHandshakeResponseSchema,
} from './messages/sasl'
import { SyncGroupRequestSchema, SyncGroupResponseSchema } from './messages/sync-group'
import {
  AddOffsetsToTxnRequestSchema,
  AddOffsetsToTxnResponseSchema,
  AddPartitionsToTxnRequestSchema,
  AddPartitionsToTxnResponseSchema,
  EndTxnRequestSchema,
  EndTxnResponseSchema,
  TxnOffsetCommitRequestSchema,
  TxnOffsetCommitResponseSchema,
} from './messages/transactions'
import type { MessageInputOf, MessageOf, MessageSchema } from './schema'
import { parseVersions } from './versions'

/** Each API's request and response schema, by Kafka's API name. */
const SCHEMAS = {
  Produce: [ProduceRequestSchema, ProduceResponseSchema],
  Fetch: [FetchRequestSchema, FetchResponseSchema],
  ListOffsets: [ListOffsetsRequestSchema, ListOffsetsResponseSchema],
  Metadata: [MetadataRequestSchema, MetadataResponseSchema],
  OffsetCommit: [OffsetCommitRequestSchema, OffsetCommitResponseSchema],
  OffsetFetch: [OffsetFetchRequestSchema, OffsetFetchResponseSchema],
  FindCoordinator: [FindCoordinatorRequestSchema, FindCoordinatorResponseSchema],
  JoinGroup: [JoinGroupRequestSchema, JoinGroupResponseSchema],
  Heartbeat: [HeartbeatRequestSchema, HeartbeatResponseSchema],
  LeaveGroup: [LeaveGroupRequestSchema, LeaveGroupResponseSchema],
  SyncGroup: [SyncGroupRequestSchema, SyncGroupResponseSchema],
  DescribeGroups: [DescribeGroupsRequestSchema, DescribeGroupsResponseSchema],
  ListGroups: [ListGroupsRequestSchema, ListGroupsResponseSchema],
  SaslHandshake: [SaslHandshakeRequestSchema, SaslHandshakeResponseSchema],
  ApiVersions: [ApiVersionsRequestSchema, ApiVersionsResponseSchema],
  CreateTopics: [CreateTopicsRequestSchema, CreateTopicsResponseSchema],
  DeleteTopics: [DeleteTopicsRequestSchema, DeleteTopicsResponseSchema],
  DeleteRecords: [DeleteRecordsRequestSchema, DeleteRecordsResponseSchema],
  InitProducerId: [InitProducerIdRequestSchema, InitProducerIdResponseSchema],
  AddPartitionsToTxn: [AddPartitionsToTxnRequestSchema, AddPartitionsToTxnResponseSchema],
  AddOffsetsToTxn: [AddOffsetsToTxnRequestSchema, AddOffsetsToTxnResponseSchema],
  EndTxn: [EndTxnRequestSchema, EndTxnResponseSchema],
  TxnOffsetCommit: [TxnOffsetCommitRequestSchema, TxnOffsetCommitResponseSchema],
  DescribeConfigs: [DescribeConfigsRequestSchema, DescribeConfigsResponseSchema],
  AlterConfigs: [AlterConfigsRequestSchema, AlterConfigsResponseSchema],
  DescribeLogDirs: [DescribeLogDirsRequestSchema, DescribeLogDirsResponseSchema],
  SaslAuthenticate: [SaslAuthenticateRequestSchema, SaslAuthenticateResponseSchema],
  CreatePartitions: [CreatePartitionsRequestSchema, CreatePartitionsResponseSchema],
  DeleteGroups: [DeleteGroupsRequestSchema, DeleteGroupsResponseSchema],
  IncrementalAlterConfigs: [IncrementalAlterConfigsRequestSchema, IncrementalAlterConfigsResponseSchema],
  DescribeCluster: [DescribeClusterRequestSchema, DescribeClusterResponseSchema],
  ConsumerGroupHeartbeat: [ConsumerGroupHeartbeatRequestSchema, ConsumerGroupHeartbeatResponseSchema],
} as const

type Schemas = typeof SCHEMAS

/**
 * Kafka's name of each supported API.
 *
 * @example
 * ```ts
 * const name: ApiName = 'Produce'
 * ```
 */
export type ApiName = keyof Schemas

/**
 * The numeric key of each supported API.
 *
 * @example
 * ```ts
 * const key: ApiKeyNumber = 18 // ApiVersions
 * ```
 */
export type ApiKeyNumber = Schemas[ApiName][0]['apiKey']

type SchemaPair<K extends ApiKeyNumber> = Extract<Schemas[ApiName], readonly [{ apiKey: K }, MessageSchema]>

/**
 * The decoded request body type of an API key.
 *
 * @example
 * ```ts
 * const body: RequestBody<12> = { groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null }
 * ```
 */
export type RequestBody<K extends ApiKeyNumber> = MessageOf<SchemaPair<K>[0]>

/**
 * The decoded response body type of an API key.
 *
 * @example
 * ```ts
 * const body: ResponseBody<12> = { throttleTimeMs: 0, errorCode: 0 }
 * ```
 */
export type ResponseBody<K extends ApiKeyNumber> = MessageOf<SchemaPair<K>[1]>

/**
 * What `encodeResponse` accepts for an API key: every field optional (defaults fill the rest).
 *
 * @example
 * ```ts
 * const body: ResponseInput<12> = { errorCode: 27 }
 * ```
 */
export type ResponseInput<K extends ApiKeyNumber> = MessageInputOf<SchemaPair<K>[1]>

/**
 * What `encodeRequest` accepts for an API key.
 *
 * @example
 * ```ts
 * const body: RequestInput<12> = { groupId: 'g' }
 * ```
 */
export type RequestInput<K extends ApiKeyNumber> = MessageInputOf<SchemaPair<K>[0]>

/**
 * One row of the API table.
 *
 * @example
 * ```ts
 * const produce: ApiInfo = apiInfo(0)!
 * ```
 */
export interface ApiInfo {
  readonly apiKey: ApiKeyNumber
  readonly name: ApiName
  readonly minVersion: number
  readonly maxVersion: number
  /** The first flexible version (compact encodings, tagged fields, header v2/v1), or null if none. */
  readonly flexibleFrom: number | null
  readonly request: MessageSchema
  readonly response: MessageSchema
}

function rowOf(name: ApiName): ApiInfo {
  const [request, response] = SCHEMAS[name]
  const { min, max } = parseVersions(request.validVersions)
  const flexible = parseVersions(request.flexibleVersions)
  return {
    apiKey: request.apiKey,
    name,
    minVersion: min,
    maxVersion: max,
    flexibleFrom: flexible.min <= flexible.max ? flexible.min : null,
    request,
    response,
  }
}

/**
 * Every supported API, by key in ascending order: name, version range, first flexible version, and the
 * request and response schemas.
 *
 * @example
 * ```ts
 * for (const api of API_TABLE) console.log(api.apiKey, api.name, api.minVersion, api.maxVersion)
 * ```
 */
export const API_TABLE: readonly ApiInfo[] = (Object.keys(SCHEMAS) as ApiName[])
  .map(rowOf)
  .sort((a, b) => a.apiKey - b.apiKey)

const BY_KEY = new Map<number, ApiInfo>(API_TABLE.map((api) => [api.apiKey, api]))

/**
 * The table row of an API key, or undefined for a key this layer does not know.
 *
 * @example
 * ```ts
 * apiInfo(1)?.name // 'Fetch'
 * ```
 */
export function apiInfo(apiKey: number): ApiInfo | undefined {
  return BY_KEY.get(apiKey)
}

/**
 * API keys by name, for readable `switch` statements over decoded requests.
 *
 * @example
 * ```ts
 * if (request.apiKey === ApiKeys.Produce) handleProduce(request.body)
 * ```
 */
export const ApiKeys = Object.fromEntries(API_TABLE.map((api) => [api.name, api.apiKey])) as {
  readonly [N in ApiName]: Schemas[N][0]['apiKey']
}
