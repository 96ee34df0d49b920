import type { IncomingMessage, ServerResponse } from 'node:http'
import { RestError } from './rest-error'

/** Confluent's content types: v2 answers in its own, v3 and the console in plain JSON. */
export const V2_JSON = 'application/vnd.kafka.v2+json'
export const JSON_TYPE = 'application/json'

/**
 * Reads a whole request body, at most `limit` bytes: past it, 413 (and the rest is not read).
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'])
    if (Number.isFinite(declared) && declared > limit) {
      reject(tooLarge(limit))
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size > limit) {
        req.off('data', onData)
        reject(tooLarge(limit))
        return
      }
      chunks.push(chunk)
    }
    req.on('data', onData)
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)))
    req.once('error', reject)
  })
}

function tooLarge(limit: number): RestError {
  return new RestError(413, 413, `Request body is larger than ${limit} bytes`)
}

/** Parses a JSON body; a body that is not JSON is Confluent's 400 with the parser's message. */
export function parseJson(body: Buffer | string): unknown {
  const text = typeof body === 'string' ? body : body.toString('utf8')
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new RestError(400, 400, `Unexpected JSON: ${(error as Error).message}`)
  }
}

/** Reads and parses a JSON body; an empty body is `undefined`. */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const body = await readBody(req, limit)
  if (body.length === 0) return undefined
  return parseJson(body)
}

/** Sends a JSON body (or nothing for 204). */
export function sendJson(res: ServerResponse, status: number, body: unknown, contentType = JSON_TYPE): void {
  if (status === 204 || body === undefined) {
    res.writeHead(status === 200 ? 204 : status)
    res.end()
    return
  }
  sendJsonText(res, status, JSON.stringify(body), contentType)
}

/** Sends a body already encoded as JSON, as text or as its UTF-8 bytes. */
export function sendJsonText(
  res: ServerResponse,
  status: number,
  text: string | Buffer,
  contentType = JSON_TYPE,
): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': typeof text === 'string' ? Buffer.byteLength(text) : text.length,
    'cache-control': 'no-store',
  })
  res.end(text)
}

/** Sends an error as Confluent does: `{ error_code, message }`. */
export function sendError(res: ServerResponse, error: RestError, contentType = JSON_TYPE): void {
  if (res.headersSent) {
    res.destroy(error)
    return
  }
  sendJson(res, error.status, error.body(), contentType)
}

/** The media type of a request body, without parameters, lower-cased; '' when absent. */
export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
}

/** True for `application/json` and Confluent's `application/vnd.kafka…+json` types. */
export function isJsonType(type: string): boolean {
  return type === JSON_TYPE || (type.startsWith('application/vnd.kafka') && type.endsWith('+json'))
}

/** A non-negative integer query or body parameter, or `fallback` when absent. */
export function integerParam(value: unknown, name: string, fallback: number): number {
  if (value === undefined || value === null || value === '') return fallback
  const n = typeof value === 'number' ? value : Number(value)
  if (!Number.isSafeInteger(n) || n < 0)
    throw new RestError(400, 400, `${name} must be a non-negative integer`)
  return n
}

/** A JSON object body, or Confluent's 422 for anything else. */
export function objectBody(body: unknown, what: string): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new RestError(422, 422, `${what} must be a JSON object`)
  }
  return body as Record<string, unknown>
}
