/**
 * The billing service's tests, written the way a KafkaJS service is tested, against logbus instead
 * of a broker: the one line below swaps KafkaJS for logbus's facade.
 */
import { type KafkaMessage, Partitioners } from 'kafkajs'
import { busOf } from 'logbus/kafkajs'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type BillingOptions, type BillingService, type Invoice, startBilling } from './billing'
import { kafka } from './kafka'

vi.mock('kafkajs', () => import('logbus/kafkajs'))

let names = 0
/** Topics and a group no other test uses. */
function fresh() {
  const n = ++names
  return {
    groupId: `billing-${n}`,
    topics: { orders: `orders-${n}`, invoices: `invoices-${n}`, deadLetters: `orders-${n}.dlq` },
  }
}

const running: BillingService[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((service) => service.stop()))
})

async function start(options: Omit<BillingOptions, 'kafka'>): Promise<BillingService> {
  const service = await startBilling({ kafka, ...options })
  running.push(service)
  return service
}

async function sendOrders(topic: string, orders: Array<{ key?: string; value: string }>): Promise<void> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
  await producer.connect()
  await producer.send({ topic, messages: orders })
  await producer.disconnect()
}

const order = (orderId: string, customer: string, amount: number) => ({
  key: customer,
  value: JSON.stringify({ orderId, customer, amount }),
})

/** Reads a topic from the beginning until `count` messages arrived. */
async function collect(topic: string, count: number): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId: `reader-${++names}` })
  const messages: KafkaMessage[] = []
  let done: () => void = () => {}
  const arrived = new Promise<void>((resolve) => {
    done = resolve
  })
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  await consumer.run({
    eachMessage: async ({ message }) => {
      messages.push(message)
      if (messages.length === count) done()
    },
  })
  await arrived
  await consumer.disconnect()
  return messages
}

async function committedOffsets(groupId: string, topic: string): Promise<number> {
  const admin = kafka.admin()
  const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] })
  return (offsets?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0)
}

/**
 * How many committed messages a topic holds, read through logbus's own API (`busOf`): a consumer that
 * sees committed transactions only, up to the end of every partition. Offsets cannot count them:
 * as in Kafka, each transaction's commit marker takes an offset too.
 */
async function messageCount(topic: string): Promise<number> {
  const bus = await busOf(kafka)
  const reader = bus.consumer({ topics: [topic], fromBeginning: true, isolation: 'read_committed' })
  let count = 0
  await reader.run({
    eachMessage: () => {
      count++
    },
  })
  await reader.caughtUp()
  await reader.close()
  return count
}

describe('billing service', () => {
  it('bills every order once, keyed by customer, and commits the orders it billed', async () => {
    const { groupId, topics } = fresh()
    const service = await start({ groupId, topics })
    await sendOrders(topics.orders, [
      order('o-1', 'ada', 100),
      order('o-2', 'grace', 50),
      order('o-3', 'ada', 10),
    ])

    const invoices = await collect(topics.invoices, 3)
    const byOrder = Object.fromEntries(
      invoices.map((m) => {
        const invoice = JSON.parse(m.value!.toString()) as Invoice
        return [invoice.orderId, { key: m.key?.toString(), total: invoice.total }]
      }),
    )
    expect(byOrder).toEqual({
      'o-1': { key: 'ada', total: 120 },
      'o-2': { key: 'grace', total: 60 },
      'o-3': { key: 'ada', total: 12 },
    })
    await service.stop()
    expect(await committedOffsets(groupId, topics.orders)).toBe(3)
  })

  it('sends a malformed order to the dead-letter topic and goes on', async () => {
    const { groupId, topics } = fresh()
    await start({ groupId, topics })
    await sendOrders(topics.orders, [{ key: 'x', value: 'not json' }])
    await sendOrders(topics.orders, [order('o-9', 'x', 1)])
    const [dead] = await collect(topics.deadLetters, 1)
    expect(dead?.value?.toString()).toBe('not json')
    expect(dead?.headers?.['x-error']?.toString()).toBe('malformed order')
    const [invoice] = await collect(topics.invoices, 1)
    expect(JSON.parse(invoice!.value!.toString())).toMatchObject({ orderId: 'o-9' })
  })

  it('resumes where it stopped after a restart, billing no order twice', async () => {
    const { groupId, topics } = fresh()
    const first = await start({ groupId, topics })
    await sendOrders(topics.orders, [order('o-1', 'ada', 1), order('o-2', 'grace', 2)])
    await collect(topics.invoices, 2)
    await first.stop()

    await sendOrders(topics.orders, [order('o-3', 'linus', 3)])
    await start({ groupId, topics })
    const invoices = await collect(topics.invoices, 3)
    expect(invoices.map((m) => (JSON.parse(m.value!.toString()) as Invoice).orderId).sort()).toEqual([
      'o-1',
      'o-2',
      'o-3',
    ])
    expect(await messageCount(topics.invoices)).toBe(3)
  })

  it('shares the orders partitions between two instances of the service', async () => {
    const { groupId, topics } = fresh()
    await start({ groupId, topics, instanceId: 'a' })
    await start({ groupId, topics, instanceId: 'b' })
    const { groups } = await kafka.admin().describeGroups([groupId])
    expect(groups[0]?.members).toHaveLength(2)

    const orders = Array.from({ length: 9 }, (_, i) => order(`o-${i}`, `customer-${i}`, i))
    await sendOrders(topics.orders, orders)
    const invoices = await collect(topics.invoices, 9)
    expect(new Set(invoices.map((m) => (JSON.parse(m.value!.toString()) as Invoice).orderId)).size).toBe(9)
  })
})
