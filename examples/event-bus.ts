/**
 * A minimal in-process event bus: one topic, one producer, two independent groups (an email sender
 * and an audit log) that each see every event. Run it with `npx tsx examples/event-bus.ts`.
 */
import { Bus } from 'logbus'

await using bus = await Bus.open()
await bus.createTopic('user-events', { partitions: 2 })

const emails = bus.consumer({ groupId: 'emails', topics: ['user-events'] })
const audit = bus.consumer({ groupId: 'audit', topics: ['user-events'] })
let received = 0
let done: () => void = () => {}
const allReceived = new Promise<void>((resolve) => {
  done = resolve
})
const count = () => {
  if (++received === 6) done()
}
await emails.run({
  eachMessage: async ({ key, value }) => {
    console.log(`emails: welcome mail for ${key} (${value})`)
    count()
  },
})
await audit.run({
  eachMessage: async ({ key, value, partition, offset }) => {
    console.log(`audit:  ${partition}/${offset} ${key} ${value}`)
    count()
  },
})

const producer = bus.producer()
await producer.send('user-events', [
  { key: 'ada', value: 'signed-up' },
  { key: 'grace', value: 'signed-up' },
  { key: 'linus', value: 'signed-up' },
])
await allReceived
