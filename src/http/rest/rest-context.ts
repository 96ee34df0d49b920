import type { IncomingMessage } from 'node:http'
import type { Bus, Producer } from '../../index'
import type { ResolvedHttpOptions } from '../options'
import { RestError } from '../rest-error'
import type { TurnAppender } from './turn-appender'

/** What the REST routes share: the bus, the appender of produce requests, a producer (the console's), the options. */
export interface RestContext {
  readonly bus: Bus
  readonly producer: Producer
  /** Appends the records of produce requests, those of one event-loop turn together. */
  readonly appender: TurnAppender
  readonly options: ResolvedHttpOptions
}

/** The base of the URLs a response links to (`metadata.self`): the address the client used. */
export function baseUrl(req: IncomingMessage): string {
  return `http://${req.headers.host ?? 'localhost'}`
}

/** Confluent answers an unknown cluster id with 404. */
export function checkCluster(context: RestContext, clusterId: string | undefined): void {
  if (clusterId !== context.options.clusterId) {
    throw new RestError(404, 404, `Cluster ${clusterId} cannot be found.`)
  }
}

/** Confluent's resource links: `{ related: url }`. */
export const related = (url: string): { related: string } => ({ related: url })
