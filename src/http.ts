/**
 * `logbus/http`: a bus over HTTP, served in-process by `node:http` — the web console, Confluent's REST
 * Proxy API (v3, and v2 consumers and produce) and Prometheus metrics.
 *
 * @example
 * ```ts
 * import { Bus } from 'logbus'
 * import { serveHttp } from 'logbus/http'
 *
 * const bus = await Bus.open()
 * const server = await serveHttp(bus, { port: 8080 }) // http://127.0.0.1:8080
 * ```
 */
export { busRegistry, PROMETHEUS_CONTENT_TYPE } from './http/metrics/prometheus'
export type { HttpAuth, HttpOptions } from './http/options'
export { RestError } from './http/rest-error'
export { HttpServer, serveHttp } from './http/server'
