/**
 * A minimal in-process event bus: one typed topic, one producer, and two listeners (an email sender
 * and an audit log) that each hear every event — no consumer group needed for a fan-out. Run it with
 * `npx tsx examples/event-bus.ts`.
 */
import { Bus, json } from 'logbus'
import { z } from 'zod'

const UserEvent = z.object({ user: z.string(), type: z.enum(['signed-up', 'deleted']) })

const bus = await Bus.open({ topics: { 'user-events': { partitions: 2, value: json(UserEvent) } } })

const emails = bus.consumer({ topics: ['user-events'] })
const audit = bus.consumer({ topics: ['user-events'] })
await emails.run({
  eachMessage: ({ value }) => {
    if (value.type === 'signed-up') console.log(`emails: welcome mail for ${value.user}`)
  },
})
await audit.run({
  eachMessage: ({ key, value, partition, offset }) =>
    console.log(`audit:  ${partition}/${offset} ${key} ${value.type}`),
})

const producer = bus.producer()
await producer.send('user-events', [
  { key: 'ada', value: { user: 'ada', type: 'signed-up' } },
  { key: 'grace', value: { user: 'grace', type: 'signed-up' } },
  { key: 'linus', value: { user: 'linus', type: 'deleted' } },
])
await Promise.all([emails.caughtUp(), audit.caughtUp()])
await bus.close()
