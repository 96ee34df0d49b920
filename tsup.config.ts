import { defineConfig } from 'tsup'
import { entryPoints } from './scripts/entry-points'

const entries = Object.fromEntries(entryPoints('.').map(({ name, source }) => [name, source]))

export default defineConfig({
  // The `logbus` bin is built with the entry points, sharing their chunks; it has no types. package.json's
  // `bin` is its CommonJS build (dist/cli.cjs): Node 20 loads the same chunks as CommonJS with less work than
  // as ES modules (BENCHMARKS.md, start-up). Its ESM build (dist/cli.js) runs too, but nothing points to it.
  entry: { ...entries, cli: 'src/cli/main.ts' },
  format: ['esm', 'cjs'],
  // CommonJS shares its chunks between entry points too (esbuild splits ESM only; tsup converts the split
  // ESM to CommonJS), so each class exists once per module system: what require('logbus/kafkajs') builds is
  // an instance of require('logbus')'s classes, and its errors are instances of its LogbusError.
  splitting: true,
  dts: { entry: entries, compilerOptions: { stripInternal: true } },
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  // import.meta.url in the CommonJS build too: logbus/http finds the console's files beside its modules.
  shims: true,
  treeshake: true,
  // In the CommonJS build a dynamic import() is a require() (esbuild lowers it, with its ESM interop): Node
  // runs an import() of a CommonJS file through its ESM loader, which parses the file and what it requires
  // for their export names, a large part of the bin's start-up (BENCHMARKS.md, start-up). Every module
  // such an import() names (logbus's own chunks, node:zlib, fzstd, the optional peers) has a CommonJS form.
  esbuildOptions(options, { format }) {
    if (format === 'cjs') options.supported = { ...options.supported, 'dynamic-import': false }
  },
  // zod is bundled, not imported from node_modules: the package's zod is ~110 modules (every locale
  // included) that Node resolves and compiles one by one at start-up, where the parts logbus uses are one
  // chunk (`import * as z` lets esbuild drop the rest). It stays a dependency for the types of
  // logbus/datagen, whose quickstarts take the user's zod schemas (through Standard Schema: any copy works).
  noExternal: ['zod'],
})
