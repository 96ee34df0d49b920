import { Bus } from '../bus/bus'
import { KafkaJSAdmin } from './admin'
import type { ClientContext } from './cluster'
import { KafkaJSConsumer } from './consumer'
import { KafkaJSNonRetriableError } from './errors'
import { consoleLogCreator, createLogger, logLevel } from './logger'
import { KafkaJSProducer } from './producer'
import type {
  Admin,
  AdminConfig,
  Consumer,
  ConsumerConfig,
  KafkaConfig,
  Logger,
  Producer,
  ProducerConfig,
} from './types'

/**
 * KafkaJS's client, in process: `new Kafka(config)` as with KafkaJS, but producers, consumers and
 * admins talk to a logbus `Bus` instead of brokers. The `brokers` are accepted and ignored. Every
 * client of one `Kafka` shares one bus (a new in-memory bus by default, opened on first use); pass
 * `logbus: { bus }` to share a bus between several `Kafka` instances.
 *
 * @example
 * ```ts
 * import { Kafka } from 'logbus/kafkajs'
 *
 * const kafka = new Kafka({ clientId: 'billing', brokers: ['localhost:9092'] })
 * const producer = kafka.producer()
 * await producer.connect()
 * await producer.send({ topic: 'orders', messages: [{ key: 'o-1', value: 'created' }] })
 * ```
 */
export class Kafka {
  readonly #config: KafkaConfig
  readonly #logger: Logger
  readonly #context: ClientContext
  #bus: Promise<Bus> | undefined

  constructor(config: KafkaConfig) {
    this.#config = config ?? ({ brokers: [] } as KafkaConfig)
    this.#logger = createLogger({
      level: this.#config.logLevel ?? logLevel.INFO,
      logCreator: this.#config.logCreator ?? consoleLogCreator,
    })
    const numPartitions = this.#config.logbus?.numPartitions ?? 1
    if (!Number.isInteger(numPartitions) || numPartitions < 1) {
      throw new KafkaJSNonRetriableError(
        `logbus.numPartitions must be a positive integer, got ${numPartitions}`,
      )
    }
    const brokers = this.#config.brokers
    this.#context = {
      bus: () => this.bus(),
      logger: this.#logger,
      clientId: this.#config.clientId ?? 'kafkajs',
      retry: this.#config.retry,
      numPartitions,
      brokers: async () => (typeof brokers === 'function' ? await brokers() : (brokers ?? [])),
    }
  }

  /**
   * A producer (KafkaJS's `kafka.producer()`).
   *
   * @example
   * ```ts
   * const producer = kafka.producer({ allowAutoTopicCreation: false })
   * ```
   */
  producer(config?: ProducerConfig): Producer {
    return new KafkaJSProducer(this.#context, config ?? {})
  }

  /**
   * A consumer: one member of `groupId` (KafkaJS's `kafka.consumer()`). Throws for a custom partition
   * assigner: only `PartitionAssigners.roundRobin` (the default) runs in logbus's coordinator.
   *
   * @example
   * ```ts
   * const consumer = kafka.consumer({ groupId: 'billing' })
   * ```
   */
  consumer(config: ConsumerConfig): Consumer {
    return new KafkaJSConsumer(this.#context, config)
  }

  /**
   * An admin client (KafkaJS's `kafka.admin()`).
   *
   * @example
   * ```ts
   * const admin = kafka.admin()
   * await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3 }] })
   * ```
   */
  admin(config?: AdminConfig): Admin {
    return new KafkaJSAdmin(this.#context, config ?? {})
  }

  /**
   * The client's logger, honouring `logLevel` and `logCreator`.
   *
   * @example
   * ```ts
   * kafka.logger().info('ready')
   * ```
   */
  logger(): Logger {
    return this.#logger
  }

  /**
   * The logbus bus behind this client (not part of KafkaJS): the one given in `logbus.bus`, or the
   * in-memory bus this instance opened. Use it to inspect topics and groups in tests, or to mix the
   * facade with logbus's own API.
   *
   * @example
   * ```ts
   * const bus = await kafka.bus()
   * console.log(bus.topic('orders').partition(0).logEndOffset)
   * ```
   */
  bus(): Promise<Bus> {
    const given = this.#config.logbus?.bus
    this.#bus ??= given === undefined ? Bus.open() : Promise.resolve(given)
    return this.#bus
  }
}
