import { api, enc, type Series, type TopicDetail, type WireRecord } from './api'
import { lineChart } from './chart'
import {
  count,
  field,
  formatBytes,
  formatDuration,
  formatNumber,
  formatTime,
  h,
  headRow,
  replace,
  toast,
} from './dom'
import { asText, fromBase64, renderBytes, type ViewMode } from './record-view'
import { VirtualList } from './virtual-list'

/** What a page holds that must stop when the reader leaves it (the live tail's stream). */
export interface Page {
  dispose(): void
}

function recordCard(record: WireRecord, mode: ViewMode): HTMLElement {
  const headers = record.headers.map(([name, value]) =>
    h('li', {}, h('span', { class: 'json-key' }, name), ': ', asText(fromBase64(value))),
  )
  return h(
    'article',
    { class: 'record', 'aria-label': `Record ${record.partition}@${record.offset}` },
    h(
      'header',
      {},
      h('span', { class: 'badge' }, `p${record.partition}`),
      h('span', { class: 'mono' }, `@${record.offset}`),
      h('time', { datetime: new Date(record.timestamp).toISOString() }, formatTime(record.timestamp)),
    ),
    h(
      'div',
      { class: 'kv' },
      h('span', { class: 'muted' }, 'key'),
      renderBytes(fromBase64(record.key), mode === 'json' ? 'text' : mode),
    ),
    h(
      'div',
      { class: 'kv' },
      h('span', { class: 'muted' }, 'value'),
      h('div', { class: 'value' }, renderBytes(fromBase64(record.value), mode)),
    ),
    headers.length === 0 ? null : h('ul', { class: 'headers', 'aria-label': 'Headers' }, ...headers),
  )
}

function browser(topic: TopicDetail): HTMLElement {
  const partition = h(
    'select',
    { name: 'partition' },
    h('option', { value: '' }, 'All'),
    ...topic.partitions.map((p) => h('option', { value: p.partition }, String(p.partition))),
  )
  const mode = h(
    'select',
    { name: 'mode' },
    h('option', { value: 'newest' }, 'Newest first'),
    h('option', { value: 'offset' }, 'From offset'),
    h('option', { value: 'timestamp' }, 'From time'),
  )
  const from = h('input', {
    name: 'from',
    type: 'text',
    placeholder: 'offset or 2026-01-01T00:00:00Z',
    autocomplete: 'off',
  })
  const key = h('input', { name: 'key', type: 'search', autocomplete: 'off' })
  const value = h('input', { name: 'value', type: 'search', autocomplete: 'off' })
  const header = h('input', {
    name: 'header',
    type: 'search',
    placeholder: 'name or name=value',
    autocomplete: 'off',
  })
  const view = h(
    'select',
    { name: 'view' },
    h('option', { value: 'text' }, 'Text'),
    h('option', { value: 'json' }, 'JSON'),
    h('option', { value: 'hex' }, 'Hex'),
  )
  const results = h('div', { class: 'records', 'aria-live': 'polite', id: 'browse-results' })
  let last: WireRecord[] = []
  const show = (): void => {
    replace(
      results,
      last.length === 0 ? h('p', { class: 'muted' }, 'No records.') : null,
      ...last.map((r) => recordCard(r, view.value as ViewMode)),
    )
  }
  view.addEventListener('change', show)
  const form = h(
    'form',
    { class: 'inline-form', 'aria-label': 'Find messages' },
    field('Partition', partition),
    field('Order', mode),
    field('Offset or time', from),
    field('Key contains', key),
    field('Value contains', value),
    field('Header', header),
    field('Show values as', view),
    h('button', { type: 'submit' }, 'Find'),
  )
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const q = new URLSearchParams({
      mode: mode.value,
      limit: '50',
      key: key.value,
      value: value.value,
      header: header.value,
    })
    if (partition.value !== '') q.set('partition', partition.value)
    if (mode.value === 'offset') q.set('offset', String(Number(from.value) || 0))
    if (mode.value === 'timestamp')
      q.set('timestamp', String(/^\d+$/.test(from.value) ? Number(from.value) : Date.parse(from.value) || 0))
    try {
      const result = await api<{ records: WireRecord[]; truncated: boolean }>(
        'GET',
        `/api/console/topics/${enc(topic.name)}/messages?${q}`,
      )
      last = result.records
      show()
      if (result.truncated)
        toast('The search stopped after 50,000 records per partition: narrow it with an offset or a time')
    } catch (error) {
      toast((error as Error).message, 'error')
    }
  })
  queueMicrotask(() => form.requestSubmit())
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'browse-h' },
    h('h2', { id: 'browse-h' }, 'Messages'),
    form,
    results,
  )
}

function tail(topic: TopicDetail, page: { streams: EventSource[] }): HTMLElement {
  const ROW = 28
  const list = new VirtualList<WireRecord>(
    ROW,
    10_000,
    (r) =>
      h(
        'div',
        { class: 'tail-row' },
        h('span', { class: 'badge' }, `p${r.partition}`),
        h('span', { class: 'mono' }, `@${r.offset}`),
        h('span', { class: 'mono tail-key' }, r.key === null ? '∅' : asText(fromBase64(r.key))),
        h('span', { class: 'tail-value' }, asText(fromBase64(r.value))),
      ),
    `Live records of ${topic.name}, newest first`,
  )
  const status = h('p', { class: 'muted', 'aria-live': 'polite', id: 'tail-status' }, 'Not running.')
  const button = h('button', { type: 'button', 'aria-pressed': 'false' }, 'Start live tail')
  let source: EventSource | undefined
  let received = 0
  let skipped = 0
  const stop = (): void => {
    source?.close()
    page.streams = page.streams.filter((s) => s !== source)
    source = undefined
    button.textContent = 'Start live tail'
    button.setAttribute('aria-pressed', 'false')
    status.textContent = `Stopped: ${count(received, 'record')} seen, ${formatNumber(list.size)} kept.`
  }
  button.addEventListener('click', () => {
    if (source !== undefined) return stop()
    source = new EventSource(`/api/console/topics/${enc(topic.name)}/tail`)
    page.streams.push(source)
    button.textContent = 'Stop live tail'
    button.setAttribute('aria-pressed', 'true')
    status.textContent = 'Connecting…'
    source.addEventListener('ready', () => (status.textContent = 'Live: waiting for records…'))
    source.addEventListener('records', (event) => {
      const message = JSON.parse((event as MessageEvent<string>).data) as {
        records: WireRecord[]
        skipped: number
      }
      received += message.records.length + message.skipped
      skipped += message.skipped
      list.prepend(message.records)
      status.textContent = `Live: ${count(received, 'record')}${skipped > 0 ? `, ${formatNumber(skipped)} summarised (the page shows at most 2,000 a second)` : ''}.`
    })
    source.addEventListener('error', () => (status.textContent = 'Connection lost; retrying…'))
  })
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'tail-h' },
    h('h2', { id: 'tail-h' }, 'Live tail'),
    h('div', { class: 'row' }, button, status),
    list.element,
  )
}

function produceForm(topic: TopicDetail, refresh: () => void): HTMLElement {
  const key = h('input', { name: 'key', autocomplete: 'off' })
  const value = h('textarea', { name: 'value', rows: 4 })
  const headers = h('textarea', { name: 'headers', rows: 2, placeholder: 'name=value, one a line' })
  const partition = h(
    'select',
    { name: 'partition' },
    h('option', { value: '' }, 'By key (partitioner)'),
    ...topic.partitions.map((p) => h('option', { value: p.partition }, String(p.partition))),
  )
  const form = h(
    'form',
    { class: 'stack-form', 'aria-label': 'Produce a message' },
    field('Key', key, 'empty: no key'),
    field('Value', value),
    field('Headers', headers),
    field('Partition', partition),
    h('button', { type: 'submit' }, 'Produce'),
  )
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const list = headers.value
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '')
      .map((line) => {
        const at = line.indexOf('=')
        return at < 0 ? { name: line, value: '' } : { name: line.slice(0, at), value: line.slice(at + 1) }
      })
    try {
      const meta = await api<{ partition: number; offset: number }>(
        'POST',
        `/api/console/topics/${enc(topic.name)}/messages`,
        {
          key: key.value === '' ? null : key.value,
          value: value.value,
          headers: list,
          partition: partition.value === '' ? null : Number(partition.value),
        },
      )
      toast(`Produced to partition ${meta.partition} at offset ${meta.offset}`)
      refresh()
    } catch (error) {
      toast((error as Error).message, 'error')
    }
  })
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'produce-h' },
    h('h2', { id: 'produce-h' }, 'Produce'),
    form,
  )
}

function deleteButton(topic: TopicDetail, navigate: (hash: string) => void): HTMLElement {
  const confirmName = h('input', { name: 'confirm', autocomplete: 'off' })
  const dialog = h(
    'dialog',
    { 'aria-labelledby': 'delete-h' },
    h(
      'form',
      { method: 'dialog', class: 'stack-form' },
      h('h2', { id: 'delete-h' }, `Delete ${topic.name}?`),
      h('p', {}, 'Its records and every group’s offsets for it are deleted. This cannot be undone.'),
      field(`Type ${topic.name} to confirm`, confirmName),
      h(
        'div',
        { class: 'row' },
        h('button', { value: 'cancel', class: 'ghost' }, 'Cancel'),
        h('button', { value: 'delete', class: 'danger' }, 'Delete topic'),
      ),
    ),
  )
  dialog.addEventListener('close', async () => {
    if (dialog.returnValue !== 'delete') return
    if (confirmName.value !== topic.name) return toast('The name did not match: nothing was deleted', 'error')
    try {
      await api('DELETE', `/api/console/topics/${enc(topic.name)}`)
      toast(`Topic ${topic.name} deleted`)
      navigate('#/topics')
    } catch (error) {
      toast((error as Error).message, 'error')
    }
  })
  const open = h('button', { type: 'button', class: 'danger' }, 'Delete topic…')
  open.addEventListener('click', () => {
    confirmName.value = ''
    dialog.showModal()
  })
  return h('div', {}, open, dialog)
}

/** One topic: partitions, settings, throughput, messages, live tail, produce and delete. */
export async function topicView(
  main: HTMLElement,
  name: string,
  navigate: (hash: string) => void,
): Promise<Page> {
  const topic = await api<TopicDetail>('GET', `/api/console/topics/${enc(name)}`)
  const rates = await api<{ in: Series; out: Series }>('GET', `/api/console/throughput?topic=${enc(name)}`)
  const page = { streams: [] as EventSource[] }
  const partitions = h(
    'table',
    { class: 'grid-table', id: 'partitions' },
    h('caption', {}, 'Partitions'),
    headRow(
      ['Partition', 'Start offset', 'End offset', 'Records', 'Size'],
      ['Start offset', 'End offset', 'Records', 'Size'],
    ),
    h(
      'tbody',
      {},
      ...topic.partitions.map((p) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, p.partition),
          h('td', { class: 'num' }, p.logStartOffset),
          h('td', { class: 'num' }, p.logEndOffset),
          h('td', { class: 'num' }, formatNumber(p.logEndOffset - p.logStartOffset)),
          h('td', { class: 'num' }, formatBytes(p.sizeBytes)),
        ),
      ),
    ),
  )
  const c = topic.config
  main.replaceChildren(
    h('p', {}, h('a', { href: '#/topics' }, '← Topics')),
    h('div', { class: 'row spread' }, h('h1', {}, topic.name), deleteButton(topic, navigate)),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Retention'),
      h('dd', {}, formatDuration(c.retentionMs)),
      h('dt', {}, 'Retention bytes'),
      h('dd', {}, c.retentionBytes === null ? 'unlimited' : formatBytes(c.retentionBytes)),
      h('dt', {}, 'Cleanup policy'),
      h('dd', {}, c.cleanupPolicy),
      h('dt', {}, 'Max message'),
      h('dd', {}, formatBytes(c.maxMessageBytes)),
      h('dt', {}, 'Segment'),
      h('dd', {}, formatBytes(c.segmentBytes)),
      h('dt', {}, 'Rate'),
      h('dd', {}, `${formatNumber(topic.rateIn)}/s in, ${formatNumber(topic.rateOut)}/s out`),
    ),
    h(
      'div',
      { class: 'columns' },
      partitions,
      lineChart(
        `Records per second, ${topic.name}`,
        [
          { label: 'in', series: rates.in, className: 'in' },
          { label: 'out', series: rates.out, className: 'out' },
        ],
        { unit: '/s' },
      ),
    ),
    browser(topic),
    tail(topic, page),
    produceForm(topic, () => undefined),
  )
  return {
    dispose: () => {
      for (const stream of page.streams) stream.close()
    },
  }
}
