import { readFile } from 'node:fs/promises'
import type { ServerResponse } from 'node:http'

/** The console's files: the page, its stylesheet and its script, each served from memory once loaded. */
export interface ConsoleAssets {
  readonly html: string
  readonly css: string
  readonly js: string
}

/**
 * Every page of the console runs only the console's own script and style: whatever a record holds,
 * nothing it says can run (the console renders records as text, and this policy backs that up).
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

async function tryRead(url: URL): Promise<string | undefined> {
  try {
    return await readFile(url, 'utf8')
  } catch {
    return undefined
  }
}

/**
 * Loads the console: the built files beside the package's modules (`dist/console/`, what npm ships),
 * or, when running from the sources (tests, `tsx`), builds the script with esbuild, a development
 * dependency, as `npm run build` does.
 */
export async function loadConsoleAssets(): Promise<ConsoleAssets> {
  const built = new URL('./console/', import.meta.url)
  const [html, css, js] = await Promise.all(
    ['index.html', 'style.css', 'app.js'].map((name) => tryRead(new URL(name, built))),
  )
  if (html !== undefined && css !== undefined && js !== undefined) return { html, css, js }
  const sources = new URL('./app/', import.meta.url)
  const [sourceHtml, sourceCss] = await Promise.all(
    ['index.html', 'style.css'].map((name) => tryRead(new URL(name, sources))),
  )
  if (sourceHtml === undefined || sourceCss === undefined) {
    throw new Error('The console is not built: run `npm run build`')
  }
  return { html: sourceHtml, css: sourceCss, js: await buildScript(new URL('main.ts', sources)) }
}

/** The console's script from its TypeScript sources, through esbuild (what scripts/build-console.ts does). */
async function buildScript(entry: URL): Promise<string> {
  // A variable keeps bundlers from following this import: the package never needs esbuild.
  const esbuildName = 'esbuild'
  const esbuild = (await import(esbuildName)) as typeof import('esbuild')
  const result = await esbuild.build({
    entryPoints: [entry.pathname],
    bundle: true,
    write: false,
    format: 'iife',
    target: 'es2020',
    minify: true,
    legalComments: 'none',
  })
  return result.outputFiles[0]!.text
}

/** Sends one asset with the console's security headers. */
export function sendAsset(res: ServerResponse, body: string, type: string, cacheable: boolean): void {
  res.writeHead(200, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': cacheable ? 'public, max-age=300' : 'no-store',
  })
  res.end(body)
}
