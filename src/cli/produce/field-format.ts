import { CliError, ExitCode } from '../cli-error'

/** How a key or value is written in a line (produce) or shown in output (consume --format json). */
export const FORMATS = ['string', 'json', 'base64'] as const
export type Format = (typeof FORMATS)[number]

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

/** A key or value of an input line as the bytes to store: string as is, json checked, base64 decoded. */
export function parseField(bytes: Buffer, format: Format, what: string): Buffer {
  if (format === 'string') return bytes
  const text = bytes.toString('utf8')
  if (format === 'json') {
    try {
      JSON.parse(text)
    } catch (error) {
      throw new CliError(`${what} is not JSON: ${(error as Error).message}`, ExitCode.badInput)
    }
    return bytes
  }
  if (text.length % 4 !== 0 || !BASE64.test(text)) {
    throw new CliError(`${what} is not base64`, ExitCode.badInput)
  }
  return Buffer.from(text, 'base64')
}

/** Stored bytes as a JSON value for output: a string, the parsed JSON, or base64. */
export function showField(bytes: Buffer | null, format: Format): unknown {
  if (bytes === null) return null
  if (format === 'base64') return bytes.toString('base64')
  const text = bytes.toString('utf8')
  if (format === 'json') {
    try {
      return JSON.parse(text)
    } catch {
      return text
    }
  }
  return text
}
