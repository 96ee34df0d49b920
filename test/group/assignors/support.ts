import { expect } from 'vitest'
import type { Assignment, AssignorInput } from '../../../src/group/assignor'
import type { TopicPartition } from '../../../src/record/log-record'
import fixture from '../../fixtures/assignments.json'

/** One case of Kafka's assignment vectors (test/fixtures/assignments.json). */
export interface AssignmentCase {
  assignor: string
  name: string
  partitions: Record<string, number>
  members: { memberId: string; instanceId?: string; topics: string[]; owned?: string[] }[]
  expected: Record<string, string[]>
}

export const cases: AssignmentCase[] = fixture.cases

/** `topic-partition` → a TopicPartition (the topic may contain dashes). */
export function parseTp(name: string): TopicPartition {
  const dash = name.lastIndexOf('-')
  return { topic: name.slice(0, dash), partition: Number(name.slice(dash + 1)) }
}

/** memberId → `topic-partition` names, in the assignor's order. */
export function render(assignment: Assignment): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(assignment).map(([id, tps]) => [id, tps.map((tp) => `${tp.topic}-${tp.partition}`)]),
  )
}

/** Every member is present; every partition of a subscribed topic is assigned once, to a subscriber. */
export function expectValid(input: AssignorInput, assignment: Assignment): void {
  expect(Object.keys(assignment).sort()).toEqual(input.members.map((m) => m.memberId).sort())
  const subscribed = new Set(input.members.flatMap((m) => m.topics))
  const expected: string[] = []
  for (const [topic, count] of Object.entries(input.partitions)) {
    if (subscribed.has(topic)) for (let p = 0; p < count; p++) expected.push(`${topic}-${p}`)
  }
  const seen: string[] = []
  for (const m of input.members) {
    for (const tp of assignment[m.memberId]!) {
      expect(m.topics).toContain(tp.topic)
      seen.push(`${tp.topic}-${tp.partition}`)
    }
  }
  expect(seen.sort()).toEqual(expected.sort())
}
