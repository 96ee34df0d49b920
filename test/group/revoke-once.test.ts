import { describe, expect, it } from 'vitest'
import type { TopicPartition } from '../../src/index'
import { openBus, uniqueName } from '../support/bus'

const ASSIGNORS = ['range', 'roundrobin', 'cooperative-sticky'] as const

describe('members that close one after another', () => {
  for (const assignor of ASSIGNORS) {
    it(`${assignor}: a member revokes only what it owns, once, and a closing member is assigned nothing`, async () => {
      for (const members of [2, 3]) {
        for (let round = 0; round < 10; round++) {
          const bus = await openBus()
          const topic = uniqueName()
          await bus.createTopic(topic, { partitions: 4 })
          const groupId = uniqueName('g')
          const problems: string[] = []
          const consumers = Array.from({ length: members }, (_, i) => {
            const owned = new Set<number>()
            let closing = false
            const consumer = bus.consumer({
              groupId,
              topics: [topic],
              fromBeginning: true,
              assignor,
              onRevoke: (partitions: TopicPartition[]) => {
                for (const { partition } of partitions) {
                  if (!owned.delete(partition))
                    problems.push(`member ${i} revoked ${partition} it did not own`)
                }
              },
            })
            consumer.on('partitionsAssigned', ({ partitions }) => {
              if (closing && partitions.length > 0) problems.push(`member ${i} was assigned while closing`)
              for (const { partition } of partitions) owned.add(partition)
            })
            const revokedEvents = new Set<number>()
            const ownedByEvents = new Set<number>()
            consumer.on('partitionsAssigned', ({ partitions }) => {
              for (const { partition } of partitions) {
                revokedEvents.delete(partition)
                ownedByEvents.add(partition)
              }
            })
            consumer.on('partitionsRevoked', ({ partitions }) => {
              for (const { partition } of partitions) {
                if (revokedEvents.has(partition))
                  problems.push(`member ${i} reported ${partition} revoked twice`)
                revokedEvents.add(partition)
                ownedByEvents.delete(partition)
              }
            })
            const close = async (): Promise<void> => {
              closing = true
              await consumer.close()
              // By the time close resolves, everything the member owned was given up, and said so.
              if (ownedByEvents.size > 0)
                problems.push(`member ${i} closed still owning ${[...ownedByEvents]}`)
            }
            return { consumer, close }
          })
          // Handlers that take a turn each, with records flowing: a revoke waits for the one in flight.
          const slowHandler = () => new Promise<void>((resolve) => setImmediate(resolve))
          for (const { consumer } of consumers) await consumer.run({ eachMessage: slowHandler })
          await bus.producer().send(
            topic,
            Array.from({ length: 200 }, (_, n) => ({ key: `k${n}`, value: 'x' })),
          )
          await bus.group(groupId).settled()
          for (const { close } of consumers) await close()
          expect(problems, `${members} members, round ${round}`).toEqual([])
          await bus.close()
        }
      }
    })
  }
})
