import type { TopicPartition } from '../../index'
import { Reader, Writer } from '../protocol'

/**
 * Kafka's consumer protocol: what a member of a `consumer` group puts in JoinGroup's protocol
 * metadata (its Subscription) and what the leader puts in SyncGroup for each member (its Assignment).
 * Non-flexible encoding, versioned by a leading int16; later versions append fields, so a reader
 * takes what it knows and ignores the rest, as Kafka's ConsumerProtocol does.
 */
/**
 * A member's Subscription in Kafka's consumer protocol: its topics, its assignor's user data and (v1+)
 * the partitions it owned.
 *
 * @example
 * ```ts
 * const subscription: Subscription = { topics: ['orders'], userData: null, ownedPartitions: [] }
 * ```
 */
export interface Subscription {
  topics: string[]
  userData: Buffer | null
  ownedPartitions: TopicPartition[]
}

/**
 * Reads a JoinGroup protocol's metadata as a Subscription (any version; later fields are ignored).
 *
 * @example
 * ```ts
 * import { decodeSubscription } from 'logbus/wire'
 *
 * const topics = joinResponse.members.map((m) => decodeSubscription(m.metadata).topics)
 * ```
 */
export function decodeSubscription(bytes: Buffer): Subscription {
  const r = new Reader(bytes)
  const version = r.int16()
  const topics = stringArray(r)
  const userData = nullableBytes(r)
  const ownedPartitions = version >= 1 && r.remaining > 0 ? partitionsOf(r) : []
  return { topics, userData, ownedPartitions }
}

/**
 * A Subscription as JoinGroup protocol metadata (consumer protocol v1).
 *
 * @example
 * ```ts
 * import { encodeSubscription } from 'logbus/wire'
 *
 * const metadata = encodeSubscription({ topics: ['orders'], userData: null, ownedPartitions: [] })
 * ```
 */
export function encodeSubscription(subscription: Subscription): Buffer {
  const w = new Writer()
  w.int16(1)
  writeStrings(w, subscription.topics)
  writeNullableBytes(w, subscription.userData)
  writePartitions(w, subscription.ownedPartitions)
  return w.toBuffer()
}

/**
 * Reads a SyncGroup (or DescribeGroups) assignment: the member's partitions; empty bytes are none.
 *
 * @example
 * ```ts
 * import { decodeAssignment } from 'logbus/wire'
 *
 * const partitions = decodeAssignment(syncResponse.assignment) // [{ topic: 'orders', partition: 0 }]
 * ```
 */
export function decodeAssignment(bytes: Buffer): TopicPartition[] {
  if (bytes.length === 0) return []
  const r = new Reader(bytes)
  r.int16()
  return partitionsOf(r)
}

/**
 * A member's partitions as the assignment bytes a group leader sends in SyncGroup (consumer protocol v0).
 *
 * @example
 * ```ts
 * import { encodeAssignment } from 'logbus/wire'
 *
 * const assignment = encodeAssignment([{ topic: 'orders', partition: 0 }])
 * ```
 */
export function encodeAssignment(partitions: readonly TopicPartition[]): Buffer {
  const w = new Writer()
  w.int16(0)
  writePartitions(w, partitions)
  writeNullableBytes(w, null)
  return w.toBuffer()
}

function str(r: Reader): string {
  const n = r.int16()
  if (n < 0) return ''
  return r.utf8(n)
}

function stringArray(r: Reader): string[] {
  const n = r.int32()
  if (n < 0) return []
  r.need(n * 2, 'topic names')
  const out: string[] = []
  for (let i = 0; i < n; i++) out.push(str(r))
  return out
}

function nullableBytes(r: Reader): Buffer | null {
  if (r.remaining === 0) return null
  const n = r.int32()
  return n < 0 ? null : r.bytes(n)
}

function partitionsOf(r: Reader): TopicPartition[] {
  const out: TopicPartition[] = []
  const topics = r.int32()
  if (topics < 0) return out
  r.need(topics * 6, 'assigned topics')
  for (let t = 0; t < topics; t++) {
    const topic = str(r)
    const count = r.int32()
    if (count < 0) continue
    r.need(count * 4, 'partitions')
    for (let p = 0; p < count; p++) out.push({ topic, partition: r.int32() })
  }
  return out
}

function writeString(w: Writer, s: string): void {
  const n = Buffer.byteLength(s)
  w.int16(n)
  w.utf8(s, n)
}

function writeStrings(w: Writer, strings: readonly string[]): void {
  w.int32(strings.length)
  for (const s of strings) writeString(w, s)
}

function writeNullableBytes(w: Writer, bytes: Uint8Array | null): void {
  if (bytes === null) {
    w.int32(-1)
    return
  }
  w.int32(bytes.length)
  w.raw(bytes)
}

function writePartitions(w: Writer, partitions: readonly TopicPartition[]): void {
  const byTopic = new Map<string, number[]>()
  for (const { topic, partition } of partitions) {
    let list = byTopic.get(topic)
    if (list === undefined) {
      list = []
      byTopic.set(topic, list)
    }
    list.push(partition)
  }
  w.int32(byTopic.size)
  for (const [topic, list] of byTopic) {
    writeString(w, topic)
    w.int32(list.length)
    for (const p of list) w.int32(p)
  }
}
