import type * as OpenTelemetryApi from '@opentelemetry/api'
import type {
  Attributes,
  Context,
  Link,
  Span,
  TextMapGetter,
  TextMapSetter,
  Tracer,
  TracerProvider,
} from '@opentelemetry/api'
import {
  type Bus,
  LogbusError,
  type LogRecord,
  type Message,
  type MessageHeaders,
  type ProcessContext,
  type RecordHeaders,
  type SendScope,
  type Unsubscribe,
} from '../index'

/** The `@opentelemetry/api` module, as `import * as api from '@opentelemetry/api'` gives it. */
export type OpenTelemetryApiModule = typeof OpenTelemetryApi

/**
 * Options of `traceWithOpenTelemetry`.
 *
 * @example
 * ```ts
 * const options: OpenTelemetryOptions = { tracerName: 'billing-bus' }
 * ```
 */
export interface OpenTelemetryOptions {
  /** The API module to use; by default `@opentelemetry/api` is imported (an optional peer dependency). */
  api?: OpenTelemetryApiModule
  /** Where tracers come from; by default the global provider the SDK registered. */
  tracerProvider?: TracerProvider
  /** The tracer's name. Default `'logbus'`. */
  tracerName?: string
}

const SYSTEM = 'kafka'

const headerGetter: TextMapGetter<RecordHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key]
    if (value === undefined) return undefined
    return Array.isArray(value) ? value.map((v: Buffer) => v.toString()) : (value as Buffer).toString()
  },
}

const headerSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value
  },
}

/** A key as an attribute: text keys as they are, bytes only when they are valid UTF-8 text. */
function keyAttribute(key: unknown): string | undefined {
  if (typeof key === 'string') return key
  if (Buffer.isBuffer(key) && key.length <= 256) {
    const text = key.toString()
    return Buffer.byteLength(text) === key.length && !text.includes('\uFFFD') ? text : undefined
  }
  return undefined
}

async function loadApi(): Promise<OpenTelemetryApiModule> {
  // A variable keeps bundlers from resolving the optional peer at build time.
  const name = '@opentelemetry/api'
  try {
    return (await import(name)) as OpenTelemetryApiModule
  } catch (error) {
    throw new LogbusError(
      'INVALID_CONFIG',
      'Tracing with OpenTelemetry needs @opentelemetry/api: npm install @opentelemetry/api (and an SDK to export spans)',
      { cause: error },
    )
  }
}

/**
 * Traces a bus with OpenTelemetry, following the messaging semantic conventions as Kafka
 * instrumentations do: a `send <topic>` span of kind PRODUCER per message sent, whose context goes in
 * the record's headers as W3C trace context (`traceparent`, `tracestate`, through the registered
 * propagator), and a `process <topic>` span of kind CONSUMER around each handler call, the child of the
 * producer's span for `eachMessage` (and for-await), linked to each record's for `eachBatch`. The
 * handler runs in its span's context, so what it sends carries the trace on. Resolves to a function
 * that stops tracing. Without an SDK registered, the API's tracer records nothing.
 *
 * `@opentelemetry/api` is an optional peer dependency: install it to use this.
 *
 * @example
 * ```ts
 * import { Bus } from 'logbus'
 * import { traceWithOpenTelemetry } from 'logbus/otel'
 *
 * const bus = await Bus.open()
 * const stop = await traceWithOpenTelemetry(bus) // spans go to the SDK the app registered
 * stop()
 * ```
 */
export async function traceWithOpenTelemetry(
  bus: Bus,
  options: OpenTelemetryOptions = {},
): Promise<Unsubscribe> {
  const api = options.api ?? (await loadApi())
  const provider = options.tracerProvider ?? api.trace.getTracerProvider()
  const tracer = provider.getTracer(options.tracerName ?? 'logbus')
  const tracing = new Tracing(api, tracer)
  return bus.instrument({
    send: (context) => tracing.send(context.topic, context.messages),
    process: (context, run) => tracing.process(context, run),
  })
}

class Tracing {
  constructor(
    private readonly api: OpenTelemetryApiModule,
    private readonly tracer: Tracer,
  ) {}

  send(topic: string, messages: readonly Message<unknown, unknown>[]): SendScope {
    const { api } = this
    const parent = api.context.active()
    const spans: Span[] = []
    const traced = messages.map((message) => {
      const attributes: Attributes = {
        'messaging.system': SYSTEM,
        'messaging.operation.type': 'send',
        'messaging.operation.name': 'send',
        'messaging.destination.name': topic,
      }
      const key = keyAttribute(message?.key)
      if (key !== undefined) attributes['messaging.kafka.message.key'] = key
      if (message?.value === null) attributes['messaging.kafka.message.tombstone'] = true
      const span = this.tracer.startSpan(`send ${topic}`, { kind: api.SpanKind.PRODUCER, attributes }, parent)
      spans.push(span)
      const carrier: Record<string, string> = {}
      api.propagation.inject(api.trace.setSpan(parent, span), carrier, headerSetter)
      if (message === null || typeof message !== 'object') return message
      const headers: MessageHeaders = { ...message.headers, ...carrier }
      return { ...message, headers }
    })
    return {
      messages: traced,
      end: (error, metadata) => {
        spans.forEach((span, i) => {
          const landed = metadata?.[i]
          if (landed !== undefined) {
            span.setAttribute('messaging.destination.partition.id', String(landed.partition))
            span.setAttribute('messaging.kafka.offset', landed.offset)
          }
          if (error !== undefined) this.#failed(span, error)
          span.end()
        })
      },
    }
  }

  process(context: ProcessContext, run: () => Promise<void> | void): Promise<void> | void {
    const { api } = this
    const attributes: Attributes = {
      'messaging.system': SYSTEM,
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.destination.name': context.topic,
      'messaging.destination.partition.id': String(context.partition),
    }
    if (context.groupId !== undefined) attributes['messaging.consumer.group.name'] = context.groupId
    let parent: Context = api.context.active()
    const links: Link[] = []
    if (context.kind === 'message') {
      const record = context.records[0]!
      parent = api.propagation.extract(parent, record.headers, headerGetter)
      this.#recordAttributes(attributes, record)
    } else {
      attributes['messaging.batch.message_count'] = context.records.length
      for (const record of context.records) {
        const linked = api.trace.getSpanContext(
          api.propagation.extract(api.ROOT_CONTEXT, record.headers, headerGetter),
        )
        if (linked !== undefined) links.push({ context: linked })
      }
    }
    const span = this.tracer.startSpan(
      `process ${context.topic}`,
      { kind: api.SpanKind.CONSUMER, attributes, links },
      parent,
    )
    let result: Promise<void> | void
    try {
      result = api.context.with(api.trace.setSpan(parent, span), run)
    } catch (error) {
      this.#failed(span, error)
      span.end()
      throw error
    }
    if (result instanceof Promise) {
      return result.then(
        () => span.end(),
        (error: unknown) => {
          this.#failed(span, error)
          span.end()
          throw error
        },
      )
    }
    span.end()
    return result
  }

  #recordAttributes(attributes: Attributes, record: LogRecord<unknown, unknown>): void {
    attributes['messaging.kafka.offset'] = record.offset
    const key = keyAttribute(record.key)
    if (key !== undefined) attributes['messaging.kafka.message.key'] = key
    if (record.value === null) attributes['messaging.kafka.message.tombstone'] = true
  }

  #failed(span: Span, error: unknown): void {
    span.setStatus({
      code: this.api.SpanStatusCode.ERROR,
      message: error instanceof Error ? error.message : String(error),
    })
    if (error instanceof Error) span.recordException(error)
    span.setAttribute('error.type', error instanceof Error ? error.constructor.name : typeof error)
  }
}
