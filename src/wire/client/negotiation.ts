import { type ApiKeyNumber, ApiKeys, type ApiName, apiInfo, ProtocolError } from '../protocol'

/**
 * One API's versions as a broker's ApiVersions response lists them.
 *
 * @example
 * ```ts
 * const fetch: ApiVersionRange = { apiKey: 1, minVersion: 4, maxVersion: 16 }
 * ```
 */
export interface ApiVersionRange {
  readonly apiKey: number
  readonly minVersion: number
  readonly maxVersion: number
}

/**
 * The lowest version of each API the client writes; the highest is the protocol layer's (what its
 * message schemas describe). Below these minima an API lacks what the client relies on: Produce v3 and
 * Fetch v4 carry RecordBatch v2, ListOffsets v1 answers one offset, Metadata v4 can be told not to
 * create the topics it names, OffsetFetch v2 takes a null list for "all". The client fills every field
 * of every version in between.
 */
const CLIENT_MIN_VERSIONS: Partial<Record<ApiName, number>> = {
  Produce: 3,
  Fetch: 4,
  ListOffsets: 1,
  Metadata: 4,
  OffsetCommit: 2,
  OffsetFetch: 2,
  FindCoordinator: 0,
  JoinGroup: 0,
  Heartbeat: 0,
  LeaveGroup: 0,
  SyncGroup: 0,
  DescribeGroups: 0,
  ListGroups: 0,
  ApiVersions: 0,
  CreateTopics: 0,
  DeleteTopics: 0,
  DescribeConfigs: 0,
  DescribeLogDirs: 0,
  CreatePartitions: 0,
  DeleteGroups: 0,
  IncrementalAlterConfigs: 0,
  // v1: the SASL exchange in SaslAuthenticate requests rather than raw frames (Kafka 1.0 and later).
  SaslHandshake: 1,
  SaslAuthenticate: 0,
}

/**
 * The APIs and versions `KafkaClient` writes and reads: from the version each needs up to the highest
 * the protocol layer knows.
 *
 * @example
 * ```ts
 * import { CLIENT_API_VERSIONS } from 'logbus/wire'
 *
 * const fetch = CLIENT_API_VERSIONS.find((api) => api.apiKey === 1) // { apiKey: 1, minVersion: 4, maxVersion: 17 }
 * ```
 */
export const CLIENT_API_VERSIONS: readonly ApiVersionRange[] = (
  Object.entries(CLIENT_MIN_VERSIONS) as [ApiName, number][]
)
  .map(([name, minVersion]) => {
    const apiKey = ApiKeys[name]
    return { apiKey, minVersion, maxVersion: apiInfo(apiKey)!.maxVersion }
  })
  .sort((a, b) => a.apiKey - b.apiKey)

/**
 * The version to use for each API both sides speak: the highest version in both the client's range
 * and the broker's, as Kafka's clients choose. An API the broker does not list, or whose ranges do not
 * overlap, is absent from the result.
 *
 * @example
 * ```ts
 * import { negotiateVersions } from 'logbus/wire'
 *
 * const versions = negotiateVersions([{ apiKey: 1, minVersion: 4, maxVersion: 12 }])
 * versions.get(1) // 12: Fetch at v12, the broker's highest
 * ```
 */
export function negotiateVersions(
  broker: readonly ApiVersionRange[],
  client: readonly ApiVersionRange[] = CLIENT_API_VERSIONS,
): Map<number, number> {
  const ours = new Map(client.map((api) => [api.apiKey, api]))
  const chosen = new Map<number, number>()
  for (const theirs of broker) {
    const mine = ours.get(theirs.apiKey)
    if (mine === undefined) continue
    const max = Math.min(mine.maxVersion, theirs.maxVersion)
    if (max >= Math.max(mine.minVersion, theirs.minVersion)) chosen.set(theirs.apiKey, max)
  }
  return chosen
}

/**
 * The negotiated version of an API, capped at `max` when a caller needs an older one; a
 * `ProtocolError('unsupported-version')` naming both sides' ranges when there is none.
 */
export function versionFor(
  negotiated: ReadonlyMap<number, number>,
  broker: readonly ApiVersionRange[],
  apiKey: ApiKeyNumber,
  address: string,
  max = Number.POSITIVE_INFINITY,
): number {
  const version = negotiated.get(apiKey)
  const mine = CLIENT_API_VERSIONS.find((api) => api.apiKey === apiKey)
  if (version !== undefined && mine !== undefined && Math.min(version, max) >= mine.minVersion) {
    return Math.min(version, max)
  }
  const name = apiInfo(apiKey)?.name ?? `API ${apiKey}`
  const theirs = broker.find((api) => api.apiKey === apiKey)
  const ranges =
    theirs === undefined
      ? 'the broker does not offer it'
      : `the broker speaks v${theirs.minVersion}-v${theirs.maxVersion}, this client v${mine?.minVersion ?? '?'}-v${Math.min(mine?.maxVersion ?? 0, max)}`
  throw new ProtocolError('unsupported-version', `${address} cannot be asked ${name}: ${ranges}`)
}
