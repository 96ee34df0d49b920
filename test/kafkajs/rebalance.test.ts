/**
 * What a member sees when its group rebalances under it. KafkaJS learns of a rebalance from its
 * heartbeat: Kafka answers REBALANCE_IN_PROGRESS (protocol/error.js, code 27), the runner commits what
 * was resolved and rethrows (consumer/runner.js heartbeat), and scheduleFetchManager rejoins instead
 * of retrying or crashing. What the member did not resolve goes to the partition's next owner, as
 * cookie-cutter's rebalance test expects of its in-flight messages.
 */
import { describe, expect, it } from 'vitest'
import { KafkaJSProtocolError } from '../../src/kafkajs/index'
import { type Gate, gate } from '../support/helpers'
import { testKafka, topicWith, uniqueName, waitUntil } from './harness'

const messages = Array.from({ length: 10 }, (_, i) => ({ value: `m${i}` }))

/**
 * A member owning the topic's one partition, and a second one that takes it over. Member ids start
 * with the client id and round-robin deals to them sorted, so 'b-…' takes the partition from 'z-…'.
 */
async function handOver() {
  const oldOwner = testKafka({ clientId: 'z' })
  const newOwner = testKafka({ clientId: 'b' })
  const topic = await topicWith(oldOwner, 1, messages)
  const groupId = uniqueName('g')
  const bus = await oldOwner.kafka.bus()
  const first = oldOwner.consumer({ groupId })
  await first.subscribe({ topic, fromBeginning: true })
  /** Starts the new owner; once the group rebalances, opens `release`; resolves when it has joined. */
  const takeOver = async (release: Gate): Promise<string[]> => {
    const second = newOwner.consumer({ groupId })
    await second.subscribe({ topic, fromBeginning: true })
    const seen: string[] = []
    const joined = second.run({ eachMessage: async ({ message }) => void seen.push(message.offset) })
    await waitUntil(() => bus.group(groupId).state === 'PreparingRebalance')
    release.open()
    await joined
    return seen
  }
  return { bus, topic, groupId, first, takeOver }
}

describe('a rebalance under a running member', () => {
  it('fails heartbeat() with REBALANCE_IN_PROGRESS, and the unresolved messages go to the new owner', async () => {
    const { bus, topic, groupId, first, takeOver } = await handOver()
    const reached = gate()
    const release = gate()
    const processedByFirst: string[] = []
    let heartbeatError: unknown
    const events: string[] = []
    first.on(first.events.REBALANCING, () => void events.push('rebalancing'))
    first.on(first.events.CRASH, () => void events.push('crash'))
    await first.run({
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        for (const message of batch.messages) {
          if (message.offset === '3') {
            reached.open()
            await release.promise
          }
          try {
            await heartbeat()
          } catch (error) {
            heartbeatError = error
            throw error
          }
          processedByFirst.push(message.offset)
          resolveOffset(message.offset)
        }
      },
      eachBatchAutoResolve: false,
    })
    await reached.promise
    const processedBySecond = await takeOver(release)
    await waitUntil(() => processedBySecond.length === 7)

    expect(heartbeatError).toBeInstanceOf(KafkaJSProtocolError)
    expect(heartbeatError).toMatchObject({
      type: 'REBALANCE_IN_PROGRESS',
      code: 27,
      retriable: false,
      message: 'The group is rebalancing, so a rejoin is needed',
    })
    expect(processedByFirst).toEqual(['0', '1', '2'])
    expect(processedBySecond).toEqual(['3', '4', '5', '6', '7', '8', '9'])
    expect(events).toEqual(['rebalancing'])
    expect(bus.group(groupId).committedOffset(topic, 0)).toBeGreaterThanOrEqual(3)
  })

  it('stops an eachMessage batch at the rebalance: the rest is delivered to the new owner', async () => {
    const { first, takeOver } = await handOver()
    const reached = gate()
    const release = gate()
    const byFirst: string[] = []
    await first.run({
      eachMessage: async ({ message, heartbeat }) => {
        if (message.offset === '5') {
          reached.open()
          await release.promise
          // A handler that heartbeats in a long job learns of the rebalance and gives the message up.
          await heartbeat()
        }
        byFirst.push(message.offset)
      },
    })
    await reached.promise
    const bySecond = await takeOver(release)
    await waitUntil(() => bySecond.length === 5)
    expect(byFirst).toEqual(['0', '1', '2', '3', '4'])
    expect(bySecond).toEqual(['5', '6', '7', '8', '9'])
  })
})
