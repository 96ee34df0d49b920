/** The console's calls to its server: JSON in, JSON out, errors as Confluent-style bodies. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  })
  if (response.status === 204) return undefined as T
  const text = await response.text()
  let parsed: unknown
  try {
    parsed = text === '' ? undefined : JSON.parse(text)
  } catch {
    parsed = undefined
  }
  if (!response.ok) {
    const message =
      (parsed as { message?: string } | undefined)?.message ?? `${response.status} ${response.statusText}`
    throw new ApiError(response.status, message)
  }
  return parsed as T
}

export const enc = encodeURIComponent

export interface TopicConfig {
  partitions: number
  retentionMs: number | null
  retentionBytes: number | null
  segmentBytes: number
  cleanupPolicy: string
  maxMessageBytes: number
}

export interface TopicSummary {
  name: string
  partitions: number
  records: number
  sizeBytes: number
  config: TopicConfig
  rateIn: number
  rateOut: number
}

export interface GroupSummary {
  groupId: string
  state: string
  members: number
  generation: number
  totalLag: number
}

export interface Overview {
  clusterId: string
  topics: TopicSummary[]
  groups: GroupSummary[]
}

export interface TopicDetail {
  name: string
  config: TopicConfig
  partitions: Array<{ partition: number; logStartOffset: number; logEndOffset: number; sizeBytes: number }>
  rateIn: number
  rateOut: number
}

export interface WireRecord {
  partition: number
  offset: number
  timestamp: number
  key: string | null
  value: string | null
  headers: Array<[string, string]>
}

export interface Series {
  times: number[]
  values: number[]
}

export interface GroupDetail {
  groupId: string
  state: string
  generation: number
  protocol: string
  members: Array<{
    memberId: string
    clientId: string
    instanceId?: string
    assignment: Array<{ topic: string; partition: number }>
  }>
  lag: Array<{
    topic: string
    partition: number
    committedOffset: number | null
    logEndOffset: number
    lag: number
  }>
  history: Series
}
