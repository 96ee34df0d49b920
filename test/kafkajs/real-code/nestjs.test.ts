/**
 * A NestJS 11 microservice and its client, written as a Nest user writes them for Kafka
 * (`Transport.KAFKA`, `@MessagePattern`, `@EventPattern`, `ClientsModule` and `ClientKafka`
 * request/reply), run against logbus: NestJS requires 'kafkajs' by name, and gets the facade. Nothing
 * in the application code knows.
 *
 * This is real code for the facade to serve: ClientKafka registers its own partition assigner
 * (KafkaReplyPartitionAssigner: protocol() with user data, an async assign()), reads its reply
 * partition from GROUP_JOIN, and the server's consumer is all that keeps a microservice running.
 */
import 'reflect-metadata'
import {
  Controller,
  Inject,
  Injectable,
  Module,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import {
  type ClientKafka,
  ClientsModule,
  Ctx,
  EventPattern,
  type KafkaContext,
  MessagePattern,
  type MicroserviceOptions,
  Payload,
  Transport,
} from '@nestjs/microservices'
import { busOf, resetClusters } from 'logbus/kafkajs'
import { lastValueFrom } from 'rxjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { waitUntil } from '../harness'
import { useLogbusAsKafkaJS } from './swap-kafkajs'

useLogbusAsKafkaJS()

const brokers = ['localhost:9092']

/** What the event handler saw, for the test to look at. */
const createdOrders: Array<{ order: { id: string; total: number }; topic: string; offset: string }> = []

@Controller()
class BillingController {
  @MessagePattern('billing.total')
  total(@Payload() lines: Array<{ price: number; quantity: number }>): { total: number } {
    return { total: lines.reduce((sum, line) => sum + line.price * line.quantity, 0) }
  }

  @EventPattern('orders.created')
  orderCreated(@Payload() order: { id: string; total: number }, @Ctx() context: KafkaContext): void {
    createdOrders.push({ order, topic: context.getTopic(), offset: context.getMessage().offset })
  }
}

@Module({ controllers: [BillingController] })
class BillingModule {}

@Injectable()
class CheckoutService implements OnModuleInit, OnModuleDestroy {
  constructor(@Inject('BILLING') private readonly billing: ClientKafka) {}

  async onModuleInit(): Promise<void> {
    this.billing.subscribeToResponseOf('billing.total')
    await this.billing.connect()
  }

  async onModuleDestroy(): Promise<void> {
    await this.billing.close()
  }

  total(lines: Array<{ price: number; quantity: number }>): Promise<{ total: number }> {
    return lastValueFrom(this.billing.send('billing.total', lines))
  }

  created(order: { id: string; total: number }): Promise<unknown> {
    return lastValueFrom(this.billing.emit('orders.created', order))
  }

  kafka(): object {
    return this.billing.unwrap()
  }
}

@Module({
  imports: [
    ClientsModule.register([
      {
        name: 'BILLING',
        transport: Transport.KAFKA,
        options: { client: { clientId: 'checkout', brokers }, consumer: { groupId: 'checkout' } },
      },
    ]),
  ],
  providers: [CheckoutService],
})
class CheckoutModule {}

describe('a NestJS microservice and ClientKafka on logbus/kafkajs', () => {
  let server: Awaited<ReturnType<typeof NestFactory.createMicroservice>>
  let client: Awaited<ReturnType<typeof NestFactory.createApplicationContext>>

  beforeAll(async () => {
    server = await NestFactory.createMicroservice<MicroserviceOptions>(BillingModule, {
      transport: Transport.KAFKA,
      options: { client: { clientId: 'billing', brokers }, consumer: { groupId: 'billing' } },
      logger: false,
    })
    await server.listen()
    client = await NestFactory.createApplicationContext(CheckoutModule, { logger: false })
  })

  afterAll(async () => {
    await client?.close()
    await server?.close()
    await resetClusters()
  })

  it('answers @MessagePattern requests through ClientKafka (request/reply on the reply partition)', async () => {
    const checkout = client.get(CheckoutService)
    expect(await checkout.total([{ price: 3, quantity: 2 }])).toEqual({ total: 6 })
    const answers = await Promise.all([1, 2, 3].map((n) => checkout.total([{ price: n, quantity: 10 }])))
    expect(answers).toEqual([{ total: 10 }, { total: 20 }, { total: 30 }])
  })

  it('delivers @EventPattern events emitted by the client', async () => {
    const checkout = client.get(CheckoutService)
    await checkout.created({ id: 'o-1', total: 6 })
    await checkout.created({ id: 'o-2', total: 9 })
    await waitUntil(() => createdOrders.length === 2)
    expect(createdOrders).toEqual([
      { order: { id: 'o-1', total: 6 }, topic: 'orders.created', offset: '0' },
      { order: { id: 'o-2', total: 9 }, topic: 'orders.created', offset: '1' },
    ])
  })

  it('runs ClientKafka’s own partition assigner, and the client and server share one cluster', async () => {
    const bus = await busOf(client.get(CheckoutService).kafka())
    expect(bus.listTopics()).toEqual(
      expect.arrayContaining(['billing.total', 'billing.total.reply', 'orders.created']),
    )
    expect(bus.group('checkout-client').describe().protocol).toBe('NestReplyPartitionAssigner')
    expect(bus.group('billing-server').describe().protocol).toBe('RoundRobinAssigner')
  })
})
