import type { IncomingMessage, ServerResponse } from 'node:http'

/** One request as a route handler gets it. */
export interface RouteContext {
  readonly req: IncomingMessage
  readonly res: ServerResponse
  readonly url: URL
  /** The path's `:name` segments, decoded. */
  readonly params: Readonly<Record<string, string>>
}

export type RouteHandler = (context: RouteContext) => Promise<void> | void

interface Route {
  readonly method: string
  readonly segments: readonly string[]
  readonly handler: RouteHandler
}

/** The outcome of matching a request: a handler, or which methods the path allows (405). */
export type RouteMatch =
  | { kind: 'found'; handler: RouteHandler; params: Record<string, string> }
  | { kind: 'method'; allowed: string[] }
  | { kind: 'none' }

/** Paths as `/v3/clusters/:cluster/topics/:topic`: literal segments and `:name` parameters. */
export class Router {
  readonly #routes: Route[] = []

  add(method: string, pattern: string, handler: RouteHandler): this {
    this.#routes.push({ method, segments: pattern.split('/').slice(1), handler })
    return this
  }

  match(method: string, path: string): RouteMatch {
    const parts = path.split('/').slice(1)
    const allowed: string[] = []
    for (const route of this.#routes) {
      const params = matchSegments(route.segments, parts)
      if (params === undefined) continue
      if (route.method === method || (method === 'HEAD' && route.method === 'GET')) {
        return { kind: 'found', handler: route.handler, params }
      }
      allowed.push(route.method)
    }
    return allowed.length > 0 ? { kind: 'method', allowed } : { kind: 'none' }
  }
}

function matchSegments(
  pattern: readonly string[],
  parts: readonly string[],
): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined
  const params: Record<string, string> = {}
  for (let i = 0; i < pattern.length; i++) {
    const expected = pattern[i]!
    const part = parts[i]!
    if (expected.startsWith(':')) {
      if (part === '') return undefined
      try {
        params[expected.slice(1)] = decodeURIComponent(part)
      } catch {
        return undefined
      }
    } else if (expected !== part) {
      return undefined
    }
  }
  return params
}
