import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'puppeteer-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConnectWorker } from '../../src/connect'
import { type HttpServer, serveHttp } from '../../src/http'
import { Bus } from '../../src/index'
import { button, labelled, launchChromium, openPage, SCREENSHOTS, textOf } from './chromium'

const XSS = '<img src=x onerror=alert(1)>'

let bus: Bus
let server: HttpServer
let browser: Browser
let worker: ConnectWorker
let dir: string | undefined

beforeAll(async () => {
  bus = await Bus.open()
  await bus.createTopic('orders', { partitions: 3 })
  await bus.createTopic('payments', { partitions: 1 })
  dir = mkdtempSync(join(tmpdir(), 'logbus-console-'))
  worker = await ConnectWorker.open(bus, { logger: () => undefined })
  await worker.createConnector({
    name: 'orders-to-file',
    config: {
      'connector.class': 'FileStreamSink',
      file: join(dir, 'orders.txt'),
      topics: 'orders',
      'key.converter': 'string',
      'value.converter': 'string',
    },
  })
  server = await serveHttp(bus, { port: 0, connect: worker })
  browser = await launchChromium()
  const producer = bus.producer()
  await producer.send(
    'orders',
    Array.from({ length: 30 }, (_, i) => ({
      key: `order-${i}`,
      value: JSON.stringify({ id: i, total: 10 + i, items: [{ sku: `sku-${i}`, qty: 1 }] }),
      headers: { source: 'checkout' },
    })),
  )
  await producer.send('payments', { key: 'evil', value: XSS, headers: { note: XSS } })
  await producer.close()
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
  await worker?.close()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  await bus?.close()
})

/** Opens a console page; the returned `close` also checks that no dialog opened on it. */
async function open(path: string, scheme: 'light' | 'dark' = 'light') {
  const opened = await openPage(browser, `${server.url}/${path}`, scheme)
  return {
    page: opened.page,
    close: async () => {
      await opened.close()
      expect(opened.dialogs).toEqual([])
    },
  }
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) })
}

/** Every form control on the page is tied to a label (or has an aria-label), and every button has a name. */
async function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const missing: string[] = []
    for (const control of document.querySelectorAll<HTMLInputElement>('input, select, textarea')) {
      const named =
        (control.labels?.length ?? 0) > 0 ||
        control.getAttribute('aria-label') !== null ||
        control.getAttribute('aria-labelledby') !== null
      if (!named) missing.push(control.outerHTML)
    }
    for (const b of document.querySelectorAll('button')) {
      if ((b.textContent ?? '').trim() === '' && b.getAttribute('aria-label') === null) {
        missing.push(b.outerHTML)
      }
    }
    return missing
  })
}

describe('the web console in Chromium', () => {
  it('shows the topics, with partitions and records; first paint measured', async () => {
    const { page, close } = await open('#/topics')
    const row = 'table.grid-table tbody tr:has(a[href="#/topics/orders"])'
    await textOf(page, row, /orders/)
    const cells = await page.$$eval(`${row} > *`, (found) => found.map((cell) => cell.textContent))
    expect(cells.slice(0, 3)).toEqual(['orders', '3', '30'])
    const paint = await page.evaluate(
      () => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1,
    )
    console.log(`console first contentful paint: ${paint.toFixed(0)} ms`)
    expect(await unlabelledControls(page)).toEqual([])
    await close()
  })

  it('renders a value holding markup as its characters: nothing runs, no element is made', async () => {
    const { page, close } = await open('#/topics/payments')
    expect(await textOf(page, '#browse-results .value pre', /img/)).toBe(XSS)
    expect(await page.$eval('#browse-results .headers', (e) => e.textContent)).toBe(`note: ${XSS}`)
    for (const mode of ['json', 'text']) {
      await (await labelled(page, 'Show values as')).select(mode)
      expect(await textOf(page, '#browse-results .value pre', /img/)).toBe(XSS)
    }
    // The live tail renders through another path: the same record, sent again, shows as text there too.
    await page.locator(button('Start live tail')).click()
    await textOf(page, '#tail-status', /Live/)
    await bus.producer().send('payments', { key: 'evil', value: XSS })
    expect(await textOf(page, '.tail-row .tail-value', /img/)).toBe(XSS)
    expect(await page.$$eval('main img, main [onerror]', (found) => found.length)).toBe(0)
    await shot(page, 'markup-as-text')
    await close()
  })

  it('shows JSON values pretty and collapsible, hex, and finds by key', async () => {
    const { page, close } = await open('#/topics/orders')
    await page.waitForSelector('#browse-results .record')
    await (await labelled(page, 'Show values as')).select('json')
    expect(await textOf(page, '#browse-results details.json summary')).toMatch(/3 keys/)
    await (await labelled(page, 'Key contains')).type('order-7')
    await page.locator(button('Find')).click()
    await page.waitForFunction(() => document.querySelectorAll('#browse-results .record').length === 1)
    expect(await textOf(page, '#browse-results .record')).toContain('order-7')
    await (await labelled(page, 'Show values as')).select('hex')
    expect(await textOf(page, '#browse-results .value pre.hex')).toMatch(/^00000000 {2}7b 22 69 64/)
    await close()
  })

  it('tails records live, and keeps up with 10k records a second in a bounded list', async () => {
    const { page, close } = await open('#/topics/orders')
    await page.locator(button('Start live tail')).click()
    await textOf(page, '#tail-status', /Live/)
    const producer = bus.producer()
    await producer.send('orders', { key: 'live-key', value: 'live record' })
    expect(await textOf(page, '.tail-row .tail-value', /live record/)).toBe('live record')

    // 10k records a second for two seconds, while the page's main thread is watched for long tasks.
    await page.evaluate(() => {
      const w = window as unknown as { longest: number }
      w.longest = 0
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) w.longest = Math.max(w.longest, entry.duration)
      }).observe({ type: 'longtask', buffered: false })
    })
    const started = Date.now()
    let sent = 0
    while (Date.now() - started < 2000) {
      const tick = Date.now()
      await producer.send(
        'orders',
        Array.from({ length: 1000 }, (_, i) => ({ key: `k${sent + i}`, value: `burst ${sent + i}` })),
      )
      sent += 1000
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 100 - (Date.now() - tick))))
    }
    const rate = sent / ((Date.now() - started) / 1000)
    // The top row is a record of the last send (which of them depends on how partitions interleave).
    await page.waitForFunction(
      (from) => {
        const top = document.querySelector('.tail-row:first-child .tail-value')?.textContent ?? ''
        return Number(/^burst (\d+)$/.exec(top)?.[1] ?? -1) >= from
      },
      {},
      sent - 1000,
    )
    // Every record is counted, shown or summarised: the count reaches what was sent.
    const counted = await page.waitForFunction(
      (expected) => {
        const text = document.getElementById('tail-status')?.textContent ?? ''
        const n = Number(/Live: ([\d,]+)/.exec(text)?.[1]?.replaceAll(',', '') ?? 0)
        return n >= expected ? text : null
      },
      { timeout: 60_000 },
      sent + 1,
    )
    const status = (await counted.jsonValue()) as string
    const longest = await page.evaluate(() => (window as unknown as { longest: number }).longest)
    console.log(
      `live tail: ${sent} records at ${rate.toFixed(0)}/s; longest main-thread task ${longest.toFixed(0)} ms`,
    )
    console.log(`live tail status: ${status}`)
    const rows = await page.$$eval('.tail-row', (found) => found.length)
    expect(rows).toBeGreaterThan(0)
    expect(rows).toBeLessThan(100) // virtualised: only the rows in view (and a few more) exist
    await page.$eval('#tail-h', (e) => e.scrollIntoView())
    await shot(page, 'live-tail')
    await page.locator(button('Stop live tail')).click()
    await textOf(page, '#tail-status', /Stopped/)
    await producer.close()
    await close()
  })

  it('resets a group’s offsets and shows the lag change; refuses while it has members', async () => {
    const consumer = bus.consumer({ groupId: 'billing', topics: ['payments'], fromBeginning: true })
    await consumer.run({ eachMessage: () => undefined })
    await consumer.caughtUp()
    await consumer.commit()
    let { page, close } = await open('#/groups/billing')
    await page.waitForSelector('#lag-table')
    expect(await page.$eval('button[type=submit]', (b) => (b as HTMLButtonElement).disabled)).toBe(true)
    expect(await textOf(page, '#reset-note')).toMatch(/only while it is empty/)
    await close()
    await consumer.close()

    const end = bus.topic('payments').partition(0).logEndOffset
    ;({ page, close } = await open('#/groups/billing'))
    expect(await textOf(page, '#total-lag')).toBe('0')
    await (await labelled(page, 'Reset to')).select('earliest')
    await page.locator(button('Reset offsets')).click()
    expect(await textOf(page, '#total-lag', new RegExp(`^${end}$`))).toBe(String(end))
    expect(await page.$eval('#lag-table tbody td.lag', (e) => e.textContent)).toBe(String(end))
    expect(bus.group('billing').committedOffset('payments', 0)).toBe(0)
    await (await labelled(page, 'Reset to')).select('offset')
    await (await labelled(page, 'Timestamp or offset')).type('1')
    await page.locator(button('Reset offsets')).click()
    expect(await textOf(page, '#total-lag', new RegExp(`^${end - 1}$`))).toBe(String(end - 1))
    await close()
  })

  it('is usable from the keyboard: skip link, navigation, forms with labels, a confirmed delete', async () => {
    const { page, close } = await open('#/topics')
    await textOf(page, 'table.grid-table tbody', /orders/)
    await page.keyboard.press('Tab')
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content')
    await page.keyboard.press('Tab') // Topics
    await page.keyboard.press('Tab') // Consumer groups
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Consumer groups')
    await page.keyboard.press('Enter')
    await page.waitForFunction(() => location.hash === '#/groups')
    expect(await textOf(page, 'main h1', /Consumer groups/)).toBe('Consumer groups')
    // The new page's content has the focus, so the next Tab goes into it, not back to the header.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main')

    await page.evaluate(() => {
      location.hash = '#/topics'
    })
    await (await labelled(page, 'Name')).type('created-in-browser')
    const partitions = await labelled(page, 'Partitions')
    await partitions.evaluate((e) => (e as HTMLInputElement).select())
    await partitions.type('2')
    await partitions.press('Enter')
    await textOf(page, 'main h1', /created-in-browser/)
    expect(bus.topic('created-in-browser').partitionCount).toBe(2)
    expect(await unlabelledControls(page)).toEqual([])

    await (await labelled(page, 'Value')).type('typed by hand')
    await page.locator(button('Produce')).click()
    expect(await textOf(page, '#toast', /Produced to partition/)).toMatch(/offset 0/)

    await page.locator(button('Delete topic…')).click()
    const confirm = await labelled(page, 'Type created-in-browser to confirm')
    expect(await page.evaluate((e) => document.activeElement === e, confirm)).toBe(true)
    await confirm.type('created-in-browser')
    await page.locator(button('Delete topic')).click()
    await textOf(page, 'main h1', /^Topics$/)
    expect(bus.listTopics()).not.toContain('created-in-browser')
    // Escape closes the dialog and deletes nothing.
    await page.evaluate(() => {
      location.hash = '#/topics/orders'
    })
    await page.locator(button('Delete topic…')).click()
    await page.keyboard.press('Escape')
    await page.waitForFunction(() => document.querySelector('dialog[open]') === null)
    expect(bus.listTopics()).toContain('orders')
    await close()
  })

  it('shows the connectors of the Connect worker it was given, with their tasks', async () => {
    const { page, close } = await open('#/connectors')
    const row = await textOf(page, '#connectors tbody tr', /orders-to-file/)
    expect(row).toMatch(/orders-to-file\s*sink\s*FileStreamSink\s*RUNNING\s*#0 RUNNING/)
    await close()
  })

  it('saves a screenshot of each page, light and dark', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      const pages: Array<[string, string, string]> = [
        ['topics', '#/topics', 'table.grid-table'],
        ['topic', '#/topics/orders', '#browse-results .record'],
        ['groups', '#/groups', 'table.grid-table'],
        ['group', '#/groups/billing', '#lag-table'],
        ['throughput', '#/throughput', '.chart-grid'],
        ['connectors', '#/connectors', '#connectors'],
      ]
      for (const [name, path, ready] of pages) {
        const { page, close } = await open(path, scheme)
        await page.waitForSelector(ready)
        expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe(scheme)
        expect(await unlabelledControls(page)).toEqual([])
        await shot(page, `${name}-${scheme}`)
        await close()
      }
    }
  })
})
