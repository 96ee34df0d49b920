import type * as z from 'zod'
import { InvalidConfigError } from '../errors'

/**
 * Validates an options object once, at the public boundary. The first problem becomes an
 * InvalidConfigError naming the dotted field path and zod's reason.
 */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, scope: string): z.output<S> {
  const result = schema.safeParse(input ?? {})
  if (result.success) return result.data
  const issue = result.error.issues[0]!
  // zod reports unknown keys at the object's own path: name the key itself.
  const keys = issue.code === 'unrecognized_keys' ? [issue.keys[0]!] : []
  const path = [...issue.path, ...keys].map(String).join('.')
  throw new InvalidConfigError(path === '' ? scope : `${scope}.${path}`, issue.message)
}
