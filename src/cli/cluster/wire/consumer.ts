import { setTimeout as delay } from 'node:timers/promises'
import { type CommittedOffset, decodeRecordBatches, type RecordBatch } from '../../../index'
import {
  ApiKeys,
  type BrokerConnection,
  type KafkaClient,
  KafkaErrors,
  type TopicMetadata,
  throwIfError,
  ZERO_UUID,
} from '../../../wire'
import { type ConsumeSpec, type ConsumeSummary, type RecordSink, startOffsetIn } from '../cluster'
import { deliver } from '../deliver'
import { GroupMember } from './group-member'
import { committedOffsets, EARLIEST, LATEST, listOffsets } from './offsets'

/** Kafka's consumer defaults: fetch.max.bytes; and per partition 4 MiB, what a data directory reads at a time. */
const FETCH_MAX_BYTES = 52_428_800
const PARTITION_MAX_BYTES = 4 << 20
/** How long a fetch waits for records: briefly while catching up, longer while following. */
const CATCH_UP_WAIT_MS = 100
const FOLLOW_WAIT_MS = 500
/** Fetches in a row that may fail with an error a new leader clears up. */
const LEADER_RETRIES = 5

/** The partitions being read: where each is, and (unless following) where it stops. */
interface Reading {
  partitions: number[]
  positions: Map<number, number>
  ends: Map<number, number> | undefined
}

/**
 * `consume` over the wire: Fetch from each partition's leader, batches decoded and handed to the sink
 * as a data directory's are, partitions in turn within each response. Without `follow` it stops at the
 * end offsets it found when it started reading; with `group` it is a member of the group (see
 * GroupMember), starts where the group committed, and commits where it stopped (also before a rebalance
 * takes its partitions away).
 */
export async function wireConsume(
  client: KafkaClient,
  spec: ConsumeSpec,
  sink: RecordSink,
): Promise<ConsumeSummary> {
  const topic = await client.topic(spec.topic)
  const member = spec.group === undefined ? undefined : new GroupMember(client, spec.group, spec.topic)
  let remaining = spec.max ?? Number.POSITIVE_INFINITY
  let records = 0
  try {
    let reading = await startReading(client, topic, spec, member)
    let failures = 0
    while (remaining > 0 && !spec.signal.aborted) {
      if (member?.rejoinNeeded === true) {
        await member.commit(offsetsOf(spec.topic, reading))
        reading = await startReading(client, topic, spec, member)
        continue
      }
      const wanted = reading.partitions.filter(
        (p) => reading.ends === undefined || reading.positions.get(p)! < reading.ends.get(p)!,
      )
      if (wanted.length === 0) {
        if (reading.ends !== undefined) break
        // Following with no partition assigned: wait for the group to rebalance, or to be stopped.
        await untilAbortedOr(FOLLOW_WAIT_MS, spec.signal)
        continue
      }
      const fetched = await fetchOnce(client, topic, wanted, reading.positions, spec)
      if (fetched === undefined) {
        if (++failures > LEADER_RETRIES) throwIfError(KafkaErrors.LEADER_NOT_AVAILABLE, { topic: spec.topic })
        await untilAbortedOr(100 * failures, spec.signal)
        continue
      }
      failures = 0
      const before = records
      for (const { partition, batches, errorCode } of fetched) {
        if (errorCode === KafkaErrors.OFFSET_OUT_OF_RANGE) {
          // Retention removed what was next (Kafka's auto.offset.reset): from the log start, or the end.
          const reset = await listOffsets(
            client,
            spec.topic,
            [partition],
            spec.start === 'latest' ? LATEST : EARLIEST,
          )
          reading.positions.set(partition, reset.get(partition)!)
          continue
        }
        const delivered = await deliver(
          spec.topic,
          partition,
          batches,
          reading.positions.get(partition)!,
          remaining,
          sink,
        )
        reading.positions.set(partition, delivered.position)
        records += delivered.records
        remaining -= delivered.records
        if (remaining <= 0) break
      }
      if (spec.follow && records > before) await spec.caughtUp?.()
    }
    if (member === undefined) return { records, committed: [] }
    const committed = await member.commitLast(offsetsOf(spec.topic, reading))
    await member.leave()
    return { records, committed }
  } catch (error) {
    // Leave rather than let the group wait a session timeout for a member that is gone; what failed is
    // what the command reports.
    await member?.leave().catch(() => undefined)
    throw error
  }
}

/** Where to read: the group's assignment (or the partitions asked for), their positions and ends. */
async function startReading(
  client: KafkaClient,
  topic: TopicMetadata,
  spec: ConsumeSpec,
  member: GroupMember | undefined,
): Promise<Reading> {
  const partitions =
    member !== undefined ? await member.join() : (spec.partitions ?? topic.partitions.map((p) => p.partition))
  const [starts, ends] = await Promise.all([
    listOffsets(client, topic.name, partitions, EARLIEST),
    listOffsets(client, topic.name, partitions, LATEST),
  ])
  const committed = new Map<number, number>()
  if (member !== undefined && partitions.length > 0) {
    const coordinator = await client.coordinator(spec.group!)
    for (const c of await committedOffsets(coordinator, spec.group!, [{ name: topic.name, partitions }])) {
      committed.set(c.partition, c.offset)
    }
  }
  const positions = new Map(
    partitions.map((p) => [
      p,
      committed.get(p) ?? startOffsetIn(topic.name, p, spec.start, starts.get(p)!, ends.get(p)!),
    ]),
  )
  return { partitions, positions, ends: spec.follow ? undefined : ends }
}

function offsetsOf(topic: string, reading: Reading): CommittedOffset[] {
  return reading.partitions.map((partition) => ({
    topic,
    partition,
    offset: reading.positions.get(partition)!,
  }))
}

interface Fetched {
  partition: number
  errorCode: number
  batches: RecordBatch[]
}

/**
 * One Fetch to each leader of `partitions`, in partition order; undefined when a leader moved (the
 * metadata is asked again for the next round). Stops waiting at once when the signal aborts.
 */
async function fetchOnce(
  client: KafkaClient,
  topic: TopicMetadata,
  partitions: number[],
  positions: Map<number, number>,
  spec: ConsumeSpec,
): Promise<Fetched[] | undefined> {
  const byLeader = new Map<BrokerConnection, number[]>()
  for (const partition of partitions) {
    const leader = await client.leader(topic.name, partition)
    byLeader.set(leader, [...(byLeader.get(leader) ?? []), partition])
  }
  const maxWaitMs = spec.follow ? FOLLOW_WAIT_MS : CATCH_UP_WAIT_MS
  const out: Fetched[] = []
  for (const [leader, list] of byLeader) {
    const request = leader.send(
      ApiKeys.Fetch,
      (v) => ({
        replicaId: -1,
        maxWaitMs,
        minBytes: 1,
        maxBytes: FETCH_MAX_BYTES,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [
          {
            ...(v >= 13 ? { topicId: topic.topicId } : { topic: topic.name }),
            partitions: list.map((partition) => ({
              partition,
              fetchOffset: BigInt(positions.get(partition)!),
              logStartOffset: -1n,
              partitionMaxBytes: PARTITION_MAX_BYTES,
            })),
          },
        ],
        forgottenTopicsData: [],
        rackId: '',
      }),
      // v13 names topics by id: only with an id from Metadata.
      { ...(topic.topicId === ZERO_UUID ? { maxVersion: 12 } : {}), timeoutMs: 30_000 + maxWaitMs },
    )
    const answer = await unlessAborted(request, spec.signal)
    if (answer === undefined) return []
    const { body } = answer
    throwIfError(body.errorCode, { topic: topic.name })
    const answered = body.responses
      .flatMap((t) => t.partitions)
      .sort((a, b) => a.partitionIndex - b.partitionIndex)
    for (const p of answered) {
      if (LEADER_MOVED.has(p.errorCode)) {
        await client.topic(topic.name).catch(() => undefined)
        return undefined
      }
      if (p.errorCode !== KafkaErrors.NONE && p.errorCode !== KafkaErrors.OFFSET_OUT_OF_RANGE) {
        throwIfError(p.errorCode, { topic: topic.name, partition: p.partitionIndex })
      }
      out.push({
        partition: p.partitionIndex,
        errorCode: p.errorCode,
        batches: p.records === null ? [] : await decodeRecordBatches(p.records),
      })
    }
  }
  return out
}

const LEADER_MOVED = new Set<number>([
  KafkaErrors.NOT_LEADER_OR_FOLLOWER,
  KafkaErrors.LEADER_NOT_AVAILABLE,
  KafkaErrors.UNKNOWN_LEADER_EPOCH,
  KafkaErrors.FENCED_LEADER_EPOCH,
  KafkaErrors.REPLICA_NOT_AVAILABLE,
  KafkaErrors.KAFKA_STORAGE_ERROR,
])

/**
 * `pending`'s value, or undefined as soon as `signal` aborts: a long poll in flight is not waited for
 * (its answer, if any, is dropped with the connection).
 */
function unlessAborted<T>(pending: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) {
    pending.catch(() => undefined)
    return Promise.resolve(undefined)
  }
  return new Promise((resolve, reject) => {
    const stop = (): void => {
      pending.catch(() => undefined)
      resolve(undefined)
    }
    signal.addEventListener('abort', stop, { once: true })
    pending.then(
      (value) => {
        signal.removeEventListener('abort', stop)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', stop)
        reject(error)
      },
    )
  })
}

/** Waits `ms`, or less if `signal` aborts (then without an error: the caller checks the signal). */
function untilAbortedOr(ms: number, signal: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal }).catch(() => undefined)
}
