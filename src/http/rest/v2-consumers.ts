import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { ClockTimer, TopicPartition } from '../../index'
import { integerParam, isJsonType, mediaType, objectBody, readJson, sendJson, V2_JSON } from '../http-io'
import { RestError } from '../rest-error'
import type { Router } from '../router'
import { requireJsonBody } from '../security'
import type { EmbeddedFormat } from './embedded-data'
import { baseUrl, type RestContext } from './rest-context'
import { type InstanceConfig, RestConsumerInstance } from './v2-consumer-instance'

/** Confluent's defaults: `consumer.request.timeout.ms` and the largest response of `GET records`. */
const DEFAULT_POLL_TIMEOUT_MS = 1_000
const DEFAULT_MAX_BYTES = 64 << 20

const FORMATS: Record<string, EmbeddedFormat> = { binary: 'binary', json: 'json', string: 'string' }

/**
 * Confluent's v2 consumer instances, `/consumers/{group}/instances/{name}/…`, and their expiry: an
 * instance not used for `consumerInstanceTimeoutMs` is closed, as the REST Proxy does. Expiry runs on
 * the bus's clock, so a test's fake clock decides when an instance is idle.
 */
export class V2Consumers {
  readonly #instances = new Map<string, RestConsumerInstance>()
  readonly #sweepMs: number
  #timer: ClockTimer | undefined
  #closed = false

  constructor(private readonly context: RestContext) {
    this.#sweepMs = Math.max(10, Math.min(context.options.consumerInstanceTimeoutMs / 2, 30_000))
    this.#arm()
  }

  #arm(): void {
    if (this.#closed) return
    this.#timer = this.context.bus.clock.setTimeout(
      () => {
        void this.expire(this.context.bus.clock.now())
        this.#arm()
      },
      this.#sweepMs,
      { unref: true },
    )
  }

  get size(): number {
    return this.#instances.size
  }

  /** Closes the instances idle for longer than the timeout, as of `now`. */
  expire(now: number): Promise<void> {
    const timeout = this.context.options.consumerInstanceTimeoutMs
    const expired = [...this.#instances].filter(([, instance]) => now - instance.lastUsed > timeout)
    for (const [key] of expired) this.#instances.delete(key)
    return Promise.all(expired.map(([, instance]) => instance.close())).then(() => undefined)
  }

  async close(): Promise<void> {
    this.#closed = true
    if (this.#timer !== undefined) this.context.bus.clock.clearTimeout(this.#timer)
    const instances = [...this.#instances.values()]
    this.#instances.clear()
    await Promise.all(instances.map((instance) => instance.close()))
  }

  #get(group: string, name: string): RestConsumerInstance {
    const instance = this.#instances.get(`${group}\u0000${name}`)
    if (instance === undefined) throw new RestError(404, 40403, 'Consumer instance not found.')
    instance.touch()
    return instance
  }

  addRoutes(router: Router): void {
    const body = async (req: IncomingMessage, required: boolean): Promise<Record<string, unknown>> => {
      const type = mediaType(req)
      requireJsonBody(type, isJsonType(type))
      const parsed = await readJson(req, this.context.options.maxBodyBytes)
      if (parsed === undefined && !required) return {}
      return objectBody(parsed, 'The request')
    }
    const partitionsOf = (value: unknown): TopicPartition[] => {
      if (!Array.isArray(value))
        throw new RestError(422, 422, 'partitions must be a list of { topic, partition }')
      return value.map((p) => {
        const { topic, partition } = objectBody(p, 'A partition')
        if (typeof topic !== 'string') throw new RestError(422, 422, 'A partition needs a topic')
        return { topic, partition: integerParam(partition, 'partition', -1) }
      })
    }
    const instancePath = '/consumers/:group/instances/:name'

    router.add('POST', '/consumers/:group', async ({ req, res, params }) => {
      const config = await body(req, false)
      const group = params.group!
      const name = config.name === undefined ? `rest-consumer-${randomUUID()}` : String(config.name)
      if (name === '' || /[/\s]/.test(name))
        throw new RestError(422, 42204, 'Invalid consumer configuration: name')
      const format = FORMATS[String(config.format ?? 'binary').toLowerCase()]
      if (format === undefined) {
        throw new RestError(
          422,
          42204,
          `Invalid consumer configuration: format ${String(config.format)} is not supported (binary, json, string)`,
        )
      }
      const reset = String(config['auto.offset.reset'] ?? 'latest')
      if (reset !== 'earliest' && reset !== 'latest' && reset !== 'none') {
        throw new RestError(422, 42204, `Invalid consumer configuration: auto.offset.reset ${reset}`)
      }
      const autoCommit = String(config['auto.commit.enable'] ?? 'true')
      if (autoCommit !== 'true' && autoCommit !== 'false') {
        throw new RestError(422, 42204, `Invalid consumer configuration: auto.commit.enable ${autoCommit}`)
      }
      const key = `${group}\u0000${name}`
      if (this.#instances.has(key)) {
        throw new RestError(
          409,
          40902,
          'Consumer with specified consumer ID already exists in the specified consumer group.',
        )
      }
      const instanceConfig: InstanceConfig = {
        format,
        autoOffsetReset: reset,
        autoCommit: autoCommit === 'true',
      }
      this.#instances.set(key, new RestConsumerInstance(this.context.bus, group, name, instanceConfig))
      sendJson(
        res,
        200,
        {
          instance_id: name,
          base_uri: `${baseUrl(req)}/consumers/${encodeURIComponent(group)}/instances/${encodeURIComponent(name)}`,
        },
        V2_JSON,
      )
    })
    router.add('DELETE', instancePath, async ({ res, params }) => {
      const instance = this.#get(params.group!, params.name!)
      this.#instances.delete(`${params.group}\u0000${params.name}`)
      await instance.close()
      sendJson(res, 204, undefined)
    })
    router.add('POST', `${instancePath}/subscription`, async ({ req, res, params }) => {
      const instance = this.#get(params.group!, params.name!)
      const { topics, topic_pattern: pattern } = await body(req, true)
      if ((topics === undefined) === (pattern === undefined)) {
        throw new RestError(
          409,
          40903,
          'Illegal state: Subscription to topics, partitions and pattern are mutually exclusive',
        )
      }
      if (pattern !== undefined) {
        let regex: RegExp
        try {
          regex = new RegExp(`^(?:${String(pattern)})$`)
        } catch (error) {
          throw new RestError(
            422,
            422,
            `topic_pattern is not a regular expression: ${(error as Error).message}`,
          )
        }
        await instance.subscribe({ pattern: regex })
      } else {
        if (!Array.isArray(topics) || topics.some((t) => typeof t !== 'string')) {
          throw new RestError(422, 422, 'topics must be a list of names')
        }
        await instance.subscribe({ topics: topics as string[] })
      }
      sendJson(res, 204, undefined)
    })
    router.add('GET', `${instancePath}/subscription`, ({ res, params }) => {
      sendJson(res, 200, { topics: this.#get(params.group!, params.name!).subscription() }, V2_JSON)
    })
    router.add('DELETE', `${instancePath}/subscription`, async ({ res, params }) => {
      await this.#get(params.group!, params.name!).unsubscribe()
      sendJson(res, 204, undefined)
    })
    router.add('POST', `${instancePath}/assignments`, async ({ req, res, params }) => {
      const instance = this.#get(params.group!, params.name!)
      await instance.assign(partitionsOf((await body(req, true)).partitions))
      sendJson(res, 204, undefined)
    })
    router.add('GET', `${instancePath}/assignments`, ({ res, params }) => {
      sendJson(res, 200, { partitions: this.#get(params.group!, params.name!).assignment() }, V2_JSON)
    })
    router.add('POST', `${instancePath}/offsets`, async ({ req, res, params }) => {
      const instance = this.#get(params.group!, params.name!)
      const { offsets } = await body(req, false)
      await instance.commit(offsets === undefined ? undefined : offsetsOf(offsets))
      sendJson(res, 204, undefined)
    })
    router.add('GET', `${instancePath}/offsets`, async ({ req, res, params }) => {
      const instance = this.#get(params.group!, params.name!)
      const parsed = await readJson(req, this.context.options.maxBodyBytes)
      const partitions = partitionsOf(objectBody(parsed ?? {}, 'The request').partitions ?? [])
      sendJson(res, 200, { offsets: instance.committed(partitions) }, V2_JSON)
    })
    const seek = (to: 'beginning' | 'end') =>
      (async ({ req, res, params }) => {
        const instance = this.#get(params.group!, params.name!)
        instance.seek(partitionsOf((await body(req, true)).partitions).map((p) => ({ ...p, offset: to })))
        sendJson(res, 204, undefined)
      }) satisfies Parameters<Router['add']>[2]
    router.add('POST', `${instancePath}/positions`, async ({ req, res, params }) => {
      const instance = this.#get(params.group!, params.name!)
      const { offsets } = await body(req, true)
      instance.seek(offsetsOf(offsets))
      sendJson(res, 204, undefined)
    })
    router.add('POST', `${instancePath}/positions/beginning`, seek('beginning'))
    router.add('POST', `${instancePath}/positions/end`, seek('end'))
    router.add('GET', `${instancePath}/records`, async ({ req, res, url, params }) => {
      const instance = this.#get(params.group!, params.name!)
      const accept = (req.headers.accept ?? '').toLowerCase()
      const wanted = /application\/vnd\.kafka\.(\w+)\.v2\+json/.exec(accept)?.[1]
      if (wanted !== undefined && wanted !== instance.config.format) {
        throw new RestError(
          406,
          40601,
          'The requested embedded data format does not match the deserializer for this consumer instance',
        )
      }
      const timeout = integerParam(url.searchParams.get('timeout'), 'timeout', DEFAULT_POLL_TIMEOUT_MS)
      const maxBytes = integerParam(url.searchParams.get('max_bytes'), 'max_bytes', DEFAULT_MAX_BYTES)
      const records = await instance.poll(timeout, maxBytes)
      instance.touch()
      sendJson(res, 200, records, `application/vnd.kafka.${instance.config.format}.v2+json`)
    })
  }
}

/** A request's `offsets`: a list of `{ topic, partition, offset }` (422 otherwise). */
function offsetsOf(offsets: unknown): Array<{ topic: string; partition: number; offset: number }> {
  if (!Array.isArray(offsets))
    throw new RestError(422, 422, 'offsets must be a list of { topic, partition, offset }')
  return offsets.map((o) => {
    const { topic, partition, offset } = objectBody(o, 'An offset')
    if (typeof topic !== 'string') throw new RestError(422, 422, 'An offset needs a topic')
    return {
      topic,
      partition: integerParam(partition, 'partition', -1),
      offset: integerParam(offset, 'offset', -1),
    }
  })
}
