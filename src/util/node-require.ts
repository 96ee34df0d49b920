/**
 * A Node builtin, synchronously, where `process.getBuiltinModule` exists (Node 20.16+); undefined
 * elsewhere (older Node, a browser). The core imports no Node module statically, so that it loads where
 * there is none; what it can use when present it takes through here.
 *
 * @example
 * ```ts
 * const zlib = builtinModule<typeof import('node:zlib')>('node:zlib')
 * ```
 */
export function builtinModule<T>(id: string): T | undefined {
  const process = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
  return process?.getBuiltinModule?.(id) as T | undefined
}

/**
 * A package, synchronously through `require` from logbus's own location; undefined where there is no
 * `require` to be had (see {@link builtinModule}). Throws what `require` throws (a package that is not
 * installed, or fails to load).
 *
 * @example
 * ```ts
 * const snappy = requirePackage<typeof import('snappyjs')>('snappyjs')
 * ```
 */
export function requirePackage<T>(id: string): T | undefined {
  const module = builtinModule<typeof import('node:module')>('node:module')
  if (module === undefined) return undefined
  return module.createRequire(import.meta.url)(id) as T
}
