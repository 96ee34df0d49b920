import type * as z from 'zod'
import { InvalidConfigError } from '../errors'

/**
 * Validates an options object once, at the public boundary. The first problem becomes an
 * InvalidConfigError naming the dotted field path and zod's reason.
 */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, scope: string): z.output<S> {
  const result = schema.safeParse(input ?? {}, { jitless: true })
  if (result.success) return result.data
  const issue = result.error.issues[0]!
  // zod reports unknown keys at the object's own path: name the key itself.
  const keys = issue.code === 'unrecognized_keys' ? [issue.keys[0]!] : []
  const path = [...issue.path, ...keys].map(String).join('.')
  throw new InvalidConfigError(path === '' ? scope : `${scope}.${path}`, issue.message)
}

/**
 * A schema built at its first use instead of when its module loads: building zod schemas is a
 * measurable part of loading the core, and a process validates few of them (a `logbus serve` opens no
 * in-process consumer or producer).
 *
 * @example
 * ```ts
 * const schema = lazySchema(() => z.strictObject({ lingerMs: z.number().default(0) }))
 * parseOptions(schema(), options, 'producer')
 * ```
 */
export function lazySchema<S extends z.ZodType>(build: () => S): () => S {
  let schema: S | undefined
  return () => {
    schema ??= build()
    return schema
  }
}
