/**
 * Builds the web console of `logbus/http` into `dist/console/`: the page and stylesheet as they are, and
 * the script bundled and minified by esbuild from `src/http/console/app/main.ts` (no framework, no
 * CDN: everything the console loads ships in the package). Run by `npm run build` after tsup.
 */
import { copyFileSync, mkdirSync } from 'node:fs'
import { build } from 'esbuild'

const source = 'src/http/console/app'
const out = 'dist/console'
mkdirSync(out, { recursive: true })
copyFileSync(`${source}/index.html`, `${out}/index.html`)
copyFileSync(`${source}/style.css`, `${out}/style.css`)
await build({
  entryPoints: [`${source}/main.ts`],
  outfile: `${out}/app.js`,
  bundle: true,
  format: 'iife',
  target: 'es2020',
  minify: true,
  legalComments: 'none',
})
console.log(`console built into ${out}/`)
