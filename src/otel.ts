/**
 * `logbus/otel`: OpenTelemetry tracing of a bus — producer and consumer spans following the messaging
 * semantic conventions, with W3C trace context carried in record headers. Needs `@opentelemetry/api`
 * (an optional peer dependency) and, to export spans, an OpenTelemetry SDK.
 *
 * @example
 * ```ts
 * import { Bus } from 'logbus'
 * import { traceWithOpenTelemetry } from 'logbus/otel'
 *
 * const bus = await Bus.open()
 * const stop = await traceWithOpenTelemetry(bus)
 * ```
 */
export {
  type OpenTelemetryApiModule,
  type OpenTelemetryOptions,
  traceWithOpenTelemetry,
} from './otel/open-telemetry'
