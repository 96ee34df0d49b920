// npm runs `prepare` in two places: after `npm install`/`npm ci` in this repository, and when a project
// installs logbus from a git URL (npm clones it, installs its dev dependencies there, runs `prepare`, then
// packs it; it does not run `prepack` for git dependencies). Only the second needs dist/. npm sets INIT_CWD
// to the directory it was started in: when that is this package's own directory, this is a development
// install (or the dependency install npm runs inside the clone), and the build is skipped so that `npm ci`
// stays fast; `npm run build` builds, and `npm pack`/`npm publish` build through `prepack`.
import { execSync } from 'node:child_process'
import { realpathSync } from 'node:fs'

const startedHere =
  process.env.INIT_CWD !== undefined && realpathSync(process.env.INIT_CWD) === realpathSync(process.cwd())
if (!startedHere) execSync('npm run build', { stdio: 'inherit' })
