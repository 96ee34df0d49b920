// biome-ignore lint/suspicious/noExplicitAny: response bodies are read field by field in assertions
export type Json = any

import { onTestFinished } from 'vitest'
import { type HttpOptions, type HttpServer, serveHttp } from '../../src/http'
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
