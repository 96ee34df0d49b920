import type { IncomingMessage, ServerResponse } from 'node:http'

/** One request as a route handler gets it. */
export interface RouteContext {
  readonly req: IncomingMessage
  readonly res: ServerResponse
  /** The request's URL, parsed when first read (most routes never read their query). */
  readonly url: URL
  /** The path's `:name` segments, decoded. */
  readonly params: Readonly<Record<string, string>>
}

export type RouteHandler = (context: RouteContext) => Promise<void> | void

interface Route {
  readonly method: string
  readonly segments: readonly string[]
  /** Indexes of the `:name` segments, and their names. */
  readonly paramAt: readonly number[]
  readonly paramNames: readonly string[]
  readonly handler: RouteHandler
}

/** The outcome of matching a request: a handler, or which methods the path allows (405). */
export type RouteMatch =
  | { kind: 'found'; handler: RouteHandler; params: Record<string, string> }
  | { kind: 'method'; allowed: string[] }
  | { kind: 'none' }

/** Paths as `/v3/clusters/:cluster/topics/:topic`: literal segments and `:name` parameters. */
export class Router {
  /** Routes by their number of segments: a path is only compared with routes as long as it. */
  readonly #routes = new Map<number, Route[]>()

  add(method: string, pattern: string, handler: RouteHandler): this {
    const segments = pattern.split('/').slice(1)
    const paramAt: number[] = []
    const paramNames: string[] = []
    segments.forEach((segment, i) => {
      if (!segment.startsWith(':')) return
      paramAt.push(i)
      paramNames.push(segment.slice(1))
    })
    const routes = this.#routes.get(segments.length) ?? []
    routes.push({ method, segments, paramAt, paramNames, handler })
    this.#routes.set(segments.length, routes)
    return this
  }

  match(method: string, path: string): RouteMatch {
    const parts = path.split('/').slice(1)
    const allowed: string[] = []
    for (const route of this.#routes.get(parts.length) ?? []) {
      if (!literalsMatch(route, parts)) continue
      const params = decodeParams(route, parts)
      if (params === undefined) continue
      if (route.method === method || (method === 'HEAD' && route.method === 'GET')) {
        return { kind: 'found', handler: route.handler, params }
      }
      allowed.push(route.method)
    }
    return allowed.length > 0 ? { kind: 'method', allowed } : { kind: 'none' }
  }
}

function literalsMatch(route: Route, parts: readonly string[]): boolean {
  const { segments } = route
  for (let i = 0; i < segments.length; i++) {
    const expected = segments[i]!
    if (expected.startsWith(':') ? parts[i] === '' : expected !== parts[i]) return false
  }
  return true
}

function decodeParams(route: Route, parts: readonly string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {}
  for (let i = 0; i < route.paramAt.length; i++) {
    const part = parts[route.paramAt[i]!]!
    try {
      params[route.paramNames[i]!] = part.includes('%') ? decodeURIComponent(part) : part
    } catch {
      return undefined
    }
  }
  return params
}

/** A path of plain characters, with no dot segment: the WHATWG URL parser would leave it as it is. */
const PLAIN_PATH = /^\/[\w\-.~!$&'()*+,;=:@/%]*$/

/**
 * The path of a request target (`/a/b?x=1` → `/a/b`), as `new URL(target).pathname` gives it, without
 * building a URL for the common plain path.
 */
export function requestPath(target: string): string {
  const query = target.indexOf('?')
  const path = query < 0 ? target : target.slice(0, query)
  if (PLAIN_PATH.test(path) && !path.includes('/.')) return path
  return new URL(target, 'http://localhost').pathname
}
