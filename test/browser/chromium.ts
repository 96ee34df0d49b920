import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import puppeteer, { type Browser, type ElementHandle, type Page } from 'puppeteer-core'

/** Debian's Chromium (`apt-get install chromium`): nothing downloads a browser of its own. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Where the test run leaves its screenshots (git-ignored), to be looked at. */
export const SCREENSHOTS = join(process.cwd(), 'test-output', 'console')

/**
 * A headless Chromium. Missing, it fails the run: a browser test that skips itself never runs.
 * Puppeteer gives it a fresh profile and removes it on close.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`)
  }
  mkdirSync(SCREENSHOTS, { recursive: true })
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    defaultViewport: { width: 1280, height: 800 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

/**
 * A page in a context of its own (its own storage: a theme chosen in one test stays there), in the
 * given colour scheme. A dialog (`alert`) fails the test that opened it.
 */
export async function openPage(
  browser: Browser,
  url: string,
  scheme: 'light' | 'dark' = 'light',
): Promise<{ page: Page; dialogs: string[]; close: () => Promise<void> }> {
  const context = await browser.createBrowserContext()
  const page = await context.newPage()
  const dialogs: string[] = []
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message())
    void dialog.dismiss()
  })
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: scheme }])
  await page.goto(url)
  return { page, dialogs, close: () => context.close() }
}

/** The form control a `<label>` with exactly this text is tied to: what a screen reader announces. */
export async function labelled(page: Page, text: string): Promise<ElementHandle<Element>> {
  const handle = await page.waitForFunction(
    (label) =>
      [...document.querySelectorAll('label')].find((l) => l.textContent?.trim() === label)?.control ?? null,
    {},
    text,
  )
  return handle as ElementHandle<Element>
}

/** Waits until the element matching `selector` has text matching `pattern`; returns that text. */
export async function textOf(page: Page, selector: string, pattern: RegExp = /\S/): Promise<string> {
  const handle = await page.waitForFunction(
    (sel, source, flags) => {
      const text = document.querySelector(sel)?.textContent ?? null
      return text !== null && new RegExp(source, flags).test(text) ? text : null
    },
    {},
    selector,
    pattern.source,
    pattern.flags,
  )
  return (await handle.jsonValue()) as string
}

/** A button by its accessible name (its text or label). */
export function button(name: string): string {
  return `::-p-aria([name="${name}"][role="button"])`
}
