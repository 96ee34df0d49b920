// biome-ignore lint/suspicious/noExplicitAny: response bodies are read field by field in assertions
export type Json = any

import { onTestFinished, vi } from 'vitest'
import { type HttpOptions, type HttpServer, serveHttp } from '../../src/http'
import { type Deliveries, TurnAppender } from '../../src/http/rest/turn-appender'
import type { Bus } from '../../src/index'
import { openBus } from '../support/bus'

/** A bus and its HTTP server on a free loopback port, both closed when the test finishes. */
export async function serve(
  options: HttpOptions = {},
  bus?: Bus,
): Promise<{ bus: Bus; server: HttpServer; url: string }> {
  const b = bus ?? (await openBus())
  const server = await serveHttp(b, { port: 0, ...options })
  onTestFinished(() => server.close())
  return { bus: b, server, url: server.url }
}

/** A request with a JSON body; answers status, content type and the parsed body (or text). */
export async function call(
  url: string,
  method: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; type: string; body: Json; headers: Headers }> {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await response.text()
  let parsed: unknown = text
  try {
    parsed = text === '' ? undefined : JSON.parse(text)
  } catch {
    // not JSON: the text itself
  }
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    body: parsed,
    headers: response.headers,
  }
}

/**
 * Holds every REST append until `count` are pending, then hands all their deliveries back in one
 * microtask: the requests' answers are then written one right after another, every time, as they are
 * under load. Restored when the test finishes.
 */
export function holdAppends(count: number): void {
  const append = TurnAppender.prototype.append
  const held: Array<{ appended: Promise<Deliveries>; resolve: (deliveries: Deliveries) => void }> = []
  const spy = vi.spyOn(TurnAppender.prototype, 'append').mockImplementation(function (
    this: TurnAppender,
    topic,
    records,
  ) {
    const appended = append.call(this, topic, records)
    return new Promise<Deliveries>((resolve) => {
      held.push({ appended, resolve })
      if (held.length !== count) return
      void Promise.all(held.map((h) => h.appended)).then((all) => {
        for (let i = 0; i < all.length; i++) held[i]!.resolve(all[i]!)
      })
    })
  })
  onTestFinished(() => spy.mockRestore())
}
