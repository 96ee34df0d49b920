import type { IncomingMessage } from 'node:http'
import type { Bus, Producer, ResetOffsetsOptions } from '../../index'
import { integerParam, isJsonType, mediaType, objectBody, readJson, sendJson } from '../http-io'
import type { ResolvedHttpOptions } from '../options'
import { type BytesTopic, bytesTopic } from '../rest/embedded-data'
import { RestError, restErrorOf } from '../rest-error'
import type { Router } from '../router'
import { requireJsonBody } from '../security'
import { type ConsoleAssets, loadConsoleAssets, sendAsset } from './assets'
import { browse } from './browse'
import { MetricsHistory } from './history'
import { endWithRequest, LiveTail } from './tail'

/**
 * The web console: its page and files, and the JSON API the page uses under `/api/console/` (topics,
 * messages, live tails, groups, offset resets, throughput history). Every change goes through the bus's
 * public API, with the rules the bus applies (an offset reset of a group with members is refused).
 */
export class ConsoleService {
  readonly history: MetricsHistory
  readonly #tails = new Set<LiveTail>()
  #assets: Promise<ConsoleAssets> | undefined

  constructor(
    private readonly bus: Bus,
    private readonly options: ResolvedHttpOptions,
    private readonly producer: Producer,
  ) {
    this.history = new MetricsHistory(bus)
  }

  async close(): Promise<void> {
    this.history.close()
    await Promise.all([...this.#tails].map((tail) => tail.close()))
  }

  #topic(name: string): BytesTopic {
    return bytesTopic(this.bus, name, 'v3')
  }

  async #body(req: IncomingMessage): Promise<Record<string, unknown>> {
    const type = mediaType(req)
    requireJsonBody(type, isJsonType(type))
    return objectBody(await readJson(req, this.options.maxBodyBytes), 'The request')
  }

  addRoutes(router: Router): void {
    const bus = this.bus
    const asset = (name: keyof ConsoleAssets, type: string, cacheable: boolean) =>
      (async ({ res }) => {
        this.#assets ??= loadConsoleAssets()
        sendAsset(res, (await this.#assets)[name], type, cacheable)
      }) satisfies Parameters<Router['add']>[2]
    router.add('GET', '/', asset('html', 'text/html; charset=utf-8', false))
    router.add('GET', '/console/style.css', asset('css', 'text/css; charset=utf-8', true))
    router.add('GET', '/console/app.js', asset('js', 'text/javascript; charset=utf-8', true))

    router.add('GET', '/api/console/overview', ({ res }) => {
      const metrics = bus.metrics()
      const rates = this.history.latestRates()
      sendJson(res, 200, {
        clusterId: this.options.clusterId,
        topics: metrics.topics.map((t) => ({
          name: t.topic,
          partitions: t.partitions.length,
          records: t.partitions.reduce((n, p) => n + p.logEndOffset - p.logStartOffset, 0),
          sizeBytes: t.sizeBytes,
          config: bus.topic(t.topic).config,
          rateIn: rates.get(t.topic)?.in ?? 0,
          rateOut: rates.get(t.topic)?.out ?? 0,
        })),
        groups: metrics.groups.map((g) => ({
          groupId: g.groupId,
          state: g.state,
          members: g.members,
          generation: g.generation,
          totalLag: g.totalLag,
        })),
      })
    })
    router.add('POST', '/api/console/topics', async ({ req, res }) => {
      const body = await this.#body(req)
      if (typeof body.name !== 'string') throw new RestError(400, 400, 'name is required')
      const options: Record<string, unknown> = { partitions: integerParam(body.partitions, 'partitions', 1) }
      for (const key of ['retentionMs', 'retentionBytes', 'maxMessageBytes'] as const) {
        if (body[key] !== undefined && body[key] !== '')
          options[key] = body[key] === null ? null : Number(body[key])
      }
      try {
        await bus.createTopic(body.name, options as never)
      } catch (error) {
        throw restErrorOf(error, 'v3')
      }
      sendJson(res, 201, { name: body.name })
    })
    router.add('DELETE', '/api/console/topics/:topic', async ({ res, params }) => {
      this.#topic(params.topic!)
      await bus.deleteTopic(params.topic!).catch((error: unknown) => Promise.reject(restErrorOf(error, 'v3')))
      sendJson(res, 204, undefined)
    })
    router.add('GET', '/api/console/topics/:topic', ({ res, params }) => {
      const topic = this.#topic(params.topic!)
      const rates = this.history.rates(topic.name)
      sendJson(res, 200, {
        name: topic.name,
        config: topic.config,
        partitions: topic.partitions.map((p) => ({
          partition: p.partition,
          logStartOffset: p.logStartOffset,
          logEndOffset: p.logEndOffset,
          sizeBytes: p.sizeBytes,
        })),
        rateIn: rates.in.values.at(-1) ?? 0,
        rateOut: rates.out.values.at(-1) ?? 0,
      })
    })
    router.add('GET', '/api/console/topics/:topic/messages', async ({ res, url, params }) => {
      const topic = this.#topic(params.topic!)
      const q = url.searchParams
      const partition = q.get('partition')
      const mode = q.get('mode') ?? 'newest'
      if (mode !== 'offset' && mode !== 'timestamp' && mode !== 'newest') {
        throw new RestError(400, 400, 'mode must be offset, timestamp or newest')
      }
      const p = partition === null || partition === '' ? undefined : integerParam(partition, 'partition', 0)
      if (p !== undefined && p >= topic.partitionCount)
        throw new RestError(404, 40403, `${topic.name} has no partition ${p}`)
      const result = await browse(topic, {
        partition: p,
        mode,
        offset: integerParam(q.get('offset'), 'offset', 0),
        timestamp: integerParam(q.get('timestamp'), 'timestamp', 0),
        limit: Math.min(integerParam(q.get('limit'), 'limit', 50), 500),
        key: q.get('key') ?? '',
        value: q.get('value') ?? '',
        header: q.get('header') ?? '',
      })
      sendJson(res, 200, result)
    })
    router.add('POST', '/api/console/topics/:topic/messages', async ({ req, res, params }) => {
      const topic = this.#topic(params.topic!)
      const body = await this.#body(req)
      const text = (v: unknown, what: string): Buffer | null => {
        if (v === null || v === undefined) return null
        if (typeof v !== 'string') throw new RestError(400, 400, `${what} must be text`)
        return Buffer.from(v)
      }
      const headers: Record<string, Buffer[]> = {}
      for (const h of Array.isArray(body.headers) ? body.headers : []) {
        const { name, value } = objectBody(h, 'A header')
        if (typeof name !== 'string' || name === '') throw new RestError(400, 400, 'A header needs a name')
        headers[name] = [...(headers[name] ?? []), text(value, `header ${name}`) ?? Buffer.alloc(0)]
      }
      const partition =
        body.partition === undefined || body.partition === null || body.partition === ''
          ? undefined
          : integerParam(body.partition, 'partition', 0)
      try {
        const meta = await this.producer.send(topic, {
          key: text(body.key, 'key'),
          value: text(body.value, 'value'),
          headers,
          ...(partition === undefined ? {} : { partition }),
        })
        sendJson(res, 200, meta)
      } catch (error) {
        throw restErrorOf(error, 'v3')
      }
    })
    router.add('GET', '/api/console/topics/:topic/tail', async ({ req, res, url, params }) => {
      const topic = this.#topic(params.topic!)
      const partition = url.searchParams.get('partition')
      const p = partition === null || partition === '' ? undefined : integerParam(partition, 'partition', 0)
      if (p !== undefined && p >= topic.partitionCount)
        throw new RestError(404, 40403, `${topic.name} has no partition ${p}`)
      const tail = new LiveTail(bus, topic, p, res, () => this.#tails.delete(tail))
      this.#tails.add(tail)
      endWithRequest(req, tail)
    })
    router.add('GET', '/api/console/groups/:group', async ({ res, params }) => {
      const group = bus.group(params.group!)
      const description = group.describe()
      sendJson(res, 200, {
        ...description,
        lag: await group.lag(),
        history: this.history.lag(params.group!),
      })
    })
    router.add('POST', '/api/console/groups/:group/reset', async ({ req, res, params }) => {
      const body = await this.#body(req)
      const to = body.to
      let target: ResetOffsetsOptions['to']
      if (to === 'earliest' || to === 'latest') target = to
      else if (body.timestamp !== undefined)
        target = { timestamp: integerParam(body.timestamp, 'timestamp', 0) }
      else if (body.offset !== undefined) target = { offset: integerParam(body.offset, 'offset', 0) }
      else throw new RestError(400, 400, 'to must be earliest or latest, or give a timestamp or an offset')
      const topics =
        Array.isArray(body.topics) && body.topics.length > 0 ? (body.topics as string[]) : undefined
      try {
        const offsets = await bus
          .group(params.group!)
          .resetOffsets({ to: target, ...(topics ? { topics } : {}) })
        sendJson(res, 200, { offsets })
      } catch (error) {
        throw restErrorOf(error, 'v3')
      }
    })
    router.add('GET', '/api/console/connectors', ({ res }) => {
      const worker = this.options.connect
      // A connector deleted between the two calls is left out.
      const connectors = (worker?.connectors() ?? []).flatMap((name) => {
        try {
          return [worker!.status(name)]
        } catch {
          return []
        }
      })
      sendJson(res, 200, { enabled: worker !== undefined, connectors })
    })
    router.add('GET', '/api/console/throughput', ({ res, url }) => {
      const topic = url.searchParams.get('topic') ?? undefined
      sendJson(res, 200, { intervalMs: this.history.intervalMs, ...this.history.rates(topic) })
    })
  }
}
