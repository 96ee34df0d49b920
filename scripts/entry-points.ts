import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** One entry point of the package: `import … from 'logbus'` or `'logbus/<name>'`. */
export interface EntryPoint {
  /** The key in package.json's `exports`: `.` or `./<name>`. */
  subpath: string
  /** The name of its files in dist/: `index` for the root. */
  name: string
  /** Its source, relative to the repository: `src/<name>.ts` or `src/<name>/index.ts`. */
  source: string
}

interface PackageJson {
  exports: Record<string, string | { import?: string; require?: string }>
}

/**
 * The package's entry points, read from package.json's `exports`, which is their only list: adding
 * `"./name": { "import": "./dist/name.js", "require": "./dist/name.cjs" }` there is all it takes for tsup to
 * build `src/name.ts` (or `src/name/index.ts`), for TypeScript to find `dist/name.d.ts`/`.d.cts` beside the
 * targets (and through `typesVersions` under the older `node` resolution), and for CI to check it.
 *
 * @example
 * ```ts
 * entryPoints('.') // → [{ subpath: '.', name: 'index', source: 'src/index.ts' }, …]
 * ```
 */
export function entryPoints(root: string): EntryPoint[] {
  const { exports } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson
  return Object.entries(exports)
    .filter(([subpath]) => subpath !== './package.json')
    .map(([subpath, target]) => {
      const name = subpath === '.' ? 'index' : subpath.slice('./'.length)
      if (
        typeof target === 'string' ||
        target.import !== `./dist/${name}.js` ||
        target.require !== `./dist/${name}.cjs`
      ) {
        throw new Error(
          `package.json exports["${subpath}"] must be { "import": "./dist/${name}.js", "require": "./dist/${name}.cjs" }`,
        )
      }
      const source = [`src/${name}.ts`, `src/${name}/index.ts`].find((path) => existsSync(join(root, path)))
      if (source === undefined) {
        throw new Error(`exports["${subpath}"] has no source: src/${name}.ts or src/${name}/index.ts`)
      }
      return { subpath, name, source }
    })
}
