/**
 * A small billing service written against KafkaJS: it reads orders, writes one invoice per order
 * (keyed by customer) and sends malformed orders to a dead-letter topic. Each order is handled in a
 * transaction that also commits the order's offset, so an order is billed exactly once even across
 * restarts and rebalances.
 */
import { randomUUID } from 'node:crypto'
import { type Consumer, type IHeaders, type Kafka, Partitioners } from 'kafkajs'

export interface Order {
  orderId: string
  customer: string
  amount: number
}

export interface Invoice {
  invoiceId: string
  orderId: string
  customer: string
  amount: number
  vat: number
  total: number
}

export interface BillingOptions {
  kafka: Kafka
  groupId?: string
  topics?: { orders: string; invoices: string; deadLetters: string }
  vatRate?: number
  /** Distinguishes the instances of the service (each needs its own transactional id). */
  instanceId?: string
}

export interface BillingService {
  /** The service's consumer, for health checks and instrumentation. */
  readonly consumer: Consumer
  stop(): Promise<void>
}

export const DEFAULT_TOPICS = { orders: 'orders', invoices: 'invoices', deadLetters: 'orders.dlq' }

function parseOrder(value: Buffer | null): Order | undefined {
  try {
    const order = JSON.parse(value?.toString() ?? '') as Partial<Order>
    if (typeof order.orderId !== 'string' || typeof order.customer !== 'string') return undefined
    if (typeof order.amount !== 'number' || !(order.amount >= 0)) return undefined
    return { orderId: order.orderId, customer: order.customer, amount: order.amount }
  } catch {
    return undefined
  }
}

export function invoiceFor(order: Order, vatRate: number): Invoice {
  const vat = Math.round(order.amount * vatRate * 100) / 100
  return {
    invoiceId: `inv-${order.orderId}`,
    orderId: order.orderId,
    customer: order.customer,
    amount: order.amount,
    vat,
    total: order.amount + vat,
  }
}

export async function startBilling({
  kafka,
  groupId = 'billing',
  topics = DEFAULT_TOPICS,
  vatRate = 0.2,
  instanceId = randomUUID(),
}: BillingOptions): Promise<BillingService> {
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({
    topics: [
      { topic: topics.orders, numPartitions: 3 },
      { topic: topics.invoices, numPartitions: 3 },
      { topic: topics.deadLetters },
    ],
  })
  await admin.disconnect()

  const producer = kafka.producer({
    transactionalId: `${groupId}-${instanceId}`,
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  })
  await producer.connect()
  const consumer = kafka.consumer({ groupId })
  await consumer.connect()
  await consumer.subscribe({ topics: [topics.orders], fromBeginning: true })
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic, partition, message }) => {
      const order = parseOrder(message.value)
      const tx = await producer.transaction()
      try {
        if (order === undefined) {
          const headers: IHeaders = { ...message.headers, 'x-error': 'malformed order' }
          await tx.send({
            topic: topics.deadLetters,
            messages: [{ key: message.key, value: message.value, headers }],
          })
        } else {
          const invoice = invoiceFor(order, vatRate)
          await tx.send({
            topic: topics.invoices,
            messages: [{ key: order.customer, value: JSON.stringify(invoice) }],
          })
        }
        await tx.sendOffsets({
          consumerGroupId: groupId,
          topics: [{ topic, partitions: [{ partition, offset: (BigInt(message.offset) + 1n).toString() }] }],
        })
        await tx.commit()
      } catch (error) {
        await tx.abort()
        throw error
      }
    },
  })

  return {
    consumer,
    async stop() {
      await consumer.disconnect()
      await producer.disconnect()
    },
  }
}
