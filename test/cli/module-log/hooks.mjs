import { appendFileSync } from 'node:fs'

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context)
  appendFileSync(process.env.LOGBUS_MODULE_LOG, `${resolved.url}\n`)
  // What went through the ESM loader, apart: the CommonJS bin's own files should not (tsup.config.ts).
  if (process.env.LOGBUS_IMPORT_LOG) appendFileSync(process.env.LOGBUS_IMPORT_LOG, `${resolved.url}\n`)
  return resolved
}
