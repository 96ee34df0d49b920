/**
 * The logbus demo: an order service publishes keyed events to a 6-partition topic while a group of
 * three billing workers shares the partitions. Halfway through, one worker leaves; the group
 * rebalances and the two remaining workers take over its partitions from the committed offsets.
 *
 * Run it with `npm run demo`.
 */

import { Bus, json } from 'logbus'
import { z } from 'zod'

const OrderEvent = z.object({
  orderId: z.string(),
  customer: z.string(),
  type: z.enum(['created', 'paid', 'shipped']),
  amount: z.number().nonnegative(),
})
type OrderEvent = z.infer<typeof OrderEvent>

const CUSTOMERS = ['ada', 'grace', 'linus', 'margaret', 'ken', 'barbara', 'dennis', 'frances']
const ORDERS = 240
const STEPS: OrderEvent['type'][] = ['created', 'paid', 'shipped']

// The topic is declared typed: producers send OrderEvent objects, handlers receive them.
const bus = await Bus.open({ topics: { orders: { partitions: 6, value: json(OrderEvent) } } })
const billing = bus.group('billing')
billing.on('rebalance', ({ generation, assignment }) => {
  const owners = Object.entries(assignment)
    .map(([member, tps]) => `${member.split('-')[0]}→[${tps.map((tp) => tp.partition).join(',')}]`)
    .join('  ')
  console.log(`  rebalance: generation ${generation}  ${owners}`)
})

/** What each worker did, and the per-order sequence of events it saw, to check ordering per key. */
const processedBy = new Map<string, number>()
const seenSteps = new Map<string, OrderEvent['type'][]>()
const handled = new Set<string>()
let revenue = 0
let allHandled: () => void = () => {}
const everythingHandled = new Promise<void>((resolve) => {
  allHandled = resolve
})

function worker(name: string) {
  const consumer = bus.consumer({
    groupId: 'billing',
    topics: ['orders'],
    clientId: name,
    fromBeginning: true,
  })
  consumer.on('partitionsRevoked', ({ partitions }) => {
    if (partitions.length > 0)
      console.log(`  ${name} hands back partitions ${partitions.map((p) => p.partition).join(',')}`)
  })
  return consumer
}

async function start(consumer: ReturnType<typeof worker>, name: string): Promise<void> {
  await consumer.run({
    eachMessage: async (record) => {
      const event = record.value
      const steps = seenSteps.get(event.orderId) ?? []
      if (steps.at(-1) !== event.type) steps.push(event.type) // a redelivery after a rebalance repeats a step
      seenSteps.set(event.orderId, steps)
      const id = `${record.partition}:${record.offset}`
      if (event.type === 'paid' && !handled.has(id)) revenue += event.amount
      handled.add(id)
      processedBy.set(name, (processedBy.get(name) ?? 0) + 1)
      await new Promise<void>((resolve) => setImmediate(resolve)) // some real work
      if (handled.size === ORDERS * STEPS.length) allHandled()
    },
  })
}

console.log('logbus demo: 3 billing workers share the 6 partitions of "orders"')
const workers = ['alpha', 'bravo', 'charlie'].map((name) => ({ name, consumer: worker(name) }))
for (const { name, consumer } of workers) await start(consumer, name)

const producer = bus.producer({ lingerMs: 1 })
const sendOrders = async (from: number, to: number) => {
  for (let i = from; i < to; i++) {
    const customer = CUSTOMERS[i % CUSTOMERS.length]!
    const orderId = `order-${i}`
    // Keyed by order id: every event of an order lands on the same partition, so it stays in order.
    await producer.send(
      'orders',
      STEPS.map((type) => ({ key: orderId, value: { orderId, customer, type, amount: 10 + (i % 7) * 5 } })),
    )
  }
}

await sendOrders(0, ORDERS / 2)
console.log(`published ${(ORDERS / 2) * 3} events; now bravo leaves the group`)
const leaving = workers[1]!
await leaving.consumer.close()
await billing.settled()
await sendOrders(ORDERS / 2, ORDERS)
console.log(`published ${ORDERS * 3} events in all`)

// Once every event was handled, shut the workers down: closing commits what they processed.
await everythingHandled
for (const { consumer } of workers) await consumer.close()
await billing.settled()
const lagged = async () => (await billing.lag()).reduce((sum, p) => sum + p.lag, 0)

const outOfOrder = [...seenSteps.values()].filter((steps) => steps.join() !== STEPS.join()).length
console.log('\nsummary')
for (const [name, count] of processedBy) console.log(`  ${name.padEnd(8)} handled ${count} events`)
console.log(
  `  redelivered after rebalances:  ${[...processedBy.values()].reduce((a, b) => a + b, 0) - handled.size}`,
)
console.log(`  orders complete and in order: ${seenSteps.size - outOfOrder}/${ORDERS}`)
console.log(`  revenue from paid events:     ${revenue}`)
console.log(`  group: ${JSON.stringify({ state: billing.describe().state, generation: billing.generation })}`)
console.log(`  lag: ${await lagged()}`)
if (outOfOrder > 0 || seenSteps.size !== ORDERS) process.exitCode = 1
await bus.close()
