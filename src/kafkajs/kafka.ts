import type { Bus } from '../index'
import { KafkaJSAdmin } from './admin'
import type { ClientContext } from './cluster'
import { clusterBus } from './clusters'
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
 * admins talk to a logbus `Bus` instead of brokers. Clients that name the same `brokers` (in any order)
 * share one in-process cluster, as they would share a real one: an in-memory bus opened on first use
 * and kept until `resetClusters()`. Pass `logbus: { bus }` to use a bus of your own instead.
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
   * A consumer: one member of `groupId` (KafkaJS's `kafka.consumer()`).
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
   * in-process cluster of this client's broker list, shared by every client that names the same
   * brokers (in any order). Use it to inspect topics and groups in tests, or to mix the facade with
   * logbus's own API. Where the code under test holds a client typed as KafkaJS's, `busOf(kafka)` does
   * the same without a cast.
   *
   * @example
   * ```ts
   * const bus = await kafka.bus()
   * console.log(bus.topic('orders').partition(0).logEndOffset)
   * ```
   */
  async bus(): Promise<Bus> {
    const given = this.#config.logbus?.bus
    if (given !== undefined) return given
    return clusterBus(await this.#context.brokers())
  }
}

/**
 * The logbus bus behind a facade client, for code that holds it typed as KafkaJS's `Kafka` (with
 * `kafkajs` swapped for `logbus/kafkajs` in tests). Throws for anything else, such as a real KafkaJS
 * client.
 *
 * @example
 * ```ts
 * import { kafka } from '../src/kafka' // `new Kafka(…)` from 'kafkajs', swapped in this test
 * const bus = await busOf(kafka)
 * expect(bus.listTopics()).toContain('orders')
 * ```
 */
export function busOf(kafka: object): Promise<Bus> {
  if (!(kafka instanceof Kafka)) {
    return Promise.reject(
      new KafkaJSNonRetriableError(
        'busOf() takes a client created by logbus/kafkajs: is kafkajs swapped for logbus/kafkajs here?',
      ),
    )
  }
  return kafka.bus()
}
