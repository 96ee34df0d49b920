import type { Partition } from '../../index'
import { KafkaErrors, type RequestBody, type ResponseInput } from '../protocol'
import { allowed, type Handler, type RequestContext } from '../server/context'
import { errorCodeOf, partitionOf, toBig, toNumber } from './common'

type TopicAnswer = NonNullable<ResponseInput<1>['responses']>[number]
type PartitionAnswer = NonNullable<TopicAnswer['partitions']>[number]

const READ_COMMITTED = 1
const NO_RECORDS = Buffer.alloc(0)

/**
 * Fetch: the stored record batches of each partition from its fetch offset, sent as they are stored
 * (the response's records are the stored buffers, written without a copy). A long poll: with fewer
 * than `minBytes` ready, the answer waits for appends to any of the partitions, at most `maxWaitMs`.
 * `maxBytes` bounds the response and `partitionMaxBytes` each partition, except that the first
 * partition with data always gets at least one whole batch (Kafka's KIP-74). read_committed stops at
 * the last stable offset and lists the aborted transactions in range. No fetch sessions (KIP-227):
 * the answer's session id is 0, so clients send full requests.
 */
export const fetch: Handler<1> = async (body, context) => {
  const started = Date.now()
  for (;;) {
    const { responses, bytes, partitions, failed } = await collect(body, context)
    const waited = Date.now() - started
    const remaining = body.maxWaitMs - waited
    if (
      bytes >= body.minBytes ||
      failed ||
      remaining <= 0 ||
      context.signal.aborted ||
      context.broker.closing.aborted
    ) {
      return { errorCode: 0, sessionId: 0, responses }
    }
    await appendToAny(partitions, remaining, context)
    // A closing server answers with what it had: the bus may be closing under it.
    if (context.signal.aborted || context.broker.closing.aborted)
      return { errorCode: 0, sessionId: 0, responses }
  }
}

async function collect(
  body: RequestBody<1>,
  context: RequestContext,
): Promise<{
  responses: TopicAnswer[]
  bytes: number
  partitions: Partition<unknown, unknown>[]
  failed: boolean
}> {
  const bus = context.broker.bus
  const committed = body.isolationLevel === READ_COMMITTED
  const responseLimit = body.maxBytes > 0 ? body.maxBytes : 0x7fffffff
  let total = 0
  let anyData = false
  let failed = false
  const watched: Partition<unknown, unknown>[] = []
  const responses: TopicAnswer[] = []
  const byId = context.apiVersion >= 13
  for (const topic of body.topics) {
    // v13+ names topics by id (KIP-516).
    const name = byId ? context.broker.topicIds.nameOf(topic.topicId) : topic.topic
    const mayRead = name !== undefined && allowed(context, 'topic', name, 'read')
    const partitions: PartitionAnswer[] = []
    for (const requested of topic.partitions) {
      const partitionIndex = requested.partition
      if (name === undefined) {
        partitions.push(empty(partitionIndex, KafkaErrors.UNKNOWN_TOPIC_ID))
        failed = true
        continue
      }
      if (!mayRead) {
        partitions.push(empty(partitionIndex, KafkaErrors.TOPIC_AUTHORIZATION_FAILED))
        failed = true
        continue
      }
      const partition = partitionOf(bus, name, partitionIndex)
      if (typeof partition === 'number') {
        partitions.push(empty(partitionIndex, partition))
        failed = true
        continue
      }
      let answer: PartitionAnswer | undefined
      try {
        const fetchOffset = toNumber(requested.fetchOffset)
        const highWatermark = partition.logEndOffset
        const lastStableOffset = partition.lastStableOffset
        const logStartOffset = partition.logStartOffset
        answer = {
          partitionIndex,
          errorCode: 0,
          highWatermark: toBig(highWatermark),
          lastStableOffset: toBig(lastStableOffset),
          logStartOffset: toBig(logStartOffset),
          abortedTransactions: committed ? [] : null,
          preferredReadReplica: -1,
          records: NO_RECORDS,
        }
        partitions.push(answer)
        watched.push(partition)
        if (fetchOffset < logStartOffset || fetchOffset > highWatermark) {
          answer.errorCode = KafkaErrors.OFFSET_OUT_OF_RANGE
          failed = true
          continue
        }
        const end = committed ? lastStableOffset : highWatermark
        if (fetchOffset >= end) continue
        const budget = Math.min(requested.partitionMaxBytes, responseLimit - total)
        if (budget <= 0 && anyData) continue
        const read = await partition.readEncoded(fetchOffset, {
          maxBytes: Math.max(budget, 1),
          isolation: committed ? 'read_committed' : 'read_uncommitted',
        })
        const batches = anyData ? withinBudget(read, budget) : read
        if (batches.length === 0) continue
        let size = 0
        for (const batch of batches) size += batch.length
        total += size
        anyData = true
        answer.records = batches
        if (committed) {
          const last = batches.at(-1)!
          const next = Number(last.readBigInt64BE(0)) + last.readInt32BE(23) + 1
          answer.abortedTransactions = partition
            .abortedTransactions(fetchOffset, next)
            .map((t) => ({ producerId: toBig(t.producerId), firstOffset: toBig(t.firstOffset) }))
        }
      } catch (error) {
        if (answer === undefined) partitions.push(empty(partitionIndex, errorCodeOf(error)))
        else Object.assign(answer, { errorCode: errorCodeOf(error), records: NO_RECORDS })
        failed = true
      }
    }
    responses.push({ topic: topic.topic, topicId: topic.topicId, partitions })
  }
  return { responses, bytes: total, partitions: watched, failed }
}

/** The leading batches that fit in `budget` bytes. */
function withinBudget(batches: Buffer[], budget: number): Buffer[] {
  let used = 0
  let count = 0
  for (const batch of batches) {
    if (used + batch.length > budget) break
    used += batch.length
    count++
  }
  return count === batches.length ? batches : batches.slice(0, count)
}

function empty(partitionIndex: number, errorCode: number): PartitionAnswer {
  return {
    partitionIndex,
    errorCode,
    highWatermark: -1n,
    lastStableOffset: -1n,
    logStartOffset: -1n,
    abortedTransactions: null,
    records: NO_RECORDS,
  }
}

/** Resolves on the first append to any of `partitions`, after `ms`, or when the request is abandoned. */
function appendToAny(
  partitions: Partition<unknown, unknown>[],
  ms: number,
  context: RequestContext,
): Promise<void> {
  return new Promise<void>((resolve) => {
    const stops: Array<() => void> = []
    const done = () => {
      clearTimeout(timer)
      for (const stop of stops) stop()
      context.signal.removeEventListener('abort', done)
      context.broker.closing.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    context.signal.addEventListener('abort', done, { once: true })
    context.broker.closing.addEventListener('abort', done, { once: true })
    for (const partition of partitions) {
      try {
        stops.push(partition.onAppend(done))
      } catch {
        // The partition went away: answer now, with its error.
        done()
        return
      }
    }
  })
}
