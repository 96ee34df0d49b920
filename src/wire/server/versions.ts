import type { ApiName } from '../protocol'
import { ApiKeys } from '../protocol'

/**
 * The versions the server advertises and answers, per API: what real clients were tested against
 * (KafkaJS, librdkafka, kafka-python, @platformatic/kafka), below what the protocol layer can decode.
 * Produce starts at v3 and Fetch at v4: logbus stores RecordBatch v2 only (Kafka 4 dropped the older
 * message formats too). Fetch v13+ names topics by id: ids are derived from topic names (topic-ids.ts).
 */
const ADVERTISED: Partial<Record<ApiName, readonly [number, number]>> = {
  Produce: [3, 9],
  Fetch: [4, 16],
  ListOffsets: [1, 7],
  Metadata: [0, 12],
  OffsetCommit: [2, 9],
  OffsetFetch: [1, 9],
  FindCoordinator: [0, 4],
  JoinGroup: [0, 9],
  Heartbeat: [0, 4],
  LeaveGroup: [0, 5],
  SyncGroup: [0, 5],
  DescribeGroups: [0, 5],
  ListGroups: [0, 4],
  SaslHandshake: [0, 1],
  ApiVersions: [0, 4],
  CreateTopics: [0, 7],
  DeleteTopics: [0, 6],
  DeleteRecords: [0, 2],
  InitProducerId: [0, 4],
  AddPartitionsToTxn: [0, 3],
  AddOffsetsToTxn: [0, 3],
  EndTxn: [0, 3],
  TxnOffsetCommit: [0, 3],
  DescribeConfigs: [0, 4],
  AlterConfigs: [0, 2],
  DescribeLogDirs: [0, 4],
  SaslAuthenticate: [0, 2],
  CreatePartitions: [0, 3],
  DeleteGroups: [0, 2],
  IncrementalAlterConfigs: [0, 1],
  DescribeCluster: [0, 1],
  ConsumerGroupHeartbeat: [0, 1],
}

/**
 * One row of the advertised table: an API key and the versions the server answers.
 *
 * @example
 * ```ts
 * const produce: AdvertisedApi = { apiKey: 0, minVersion: 3, maxVersion: 9 }
 * ```
 */
export interface AdvertisedApi {
  apiKey: number
  minVersion: number
  maxVersion: number
}

/**
 * The APIs and versions the server answers (its ApiVersions response), by key.
 *
 * @example
 * ```ts
 * import { ADVERTISED_APIS, ApiKeys } from 'logbus/wire'
 *
 * const fetch = ADVERTISED_APIS.find((api) => api.apiKey === ApiKeys.Fetch) // { apiKey: 1, minVersion: 4, maxVersion: 16 }
 * ```
 */
export const ADVERTISED_APIS: readonly AdvertisedApi[] = Object.entries(ADVERTISED)
  .map(([name, [minVersion, maxVersion]]) => ({ apiKey: ApiKeys[name as ApiName], minVersion, maxVersion }))
  .sort((a, b) => a.apiKey - b.apiKey)

const BY_KEY = new Map(ADVERTISED_APIS.map((api) => [api.apiKey, api]))

/** Whether the server answers `apiKey` at `apiVersion`. */
export function isAdvertised(apiKey: number, apiVersion: number): boolean {
  const api = BY_KEY.get(apiKey)
  return api !== undefined && apiVersion >= api.minVersion && apiVersion <= api.maxVersion
}
