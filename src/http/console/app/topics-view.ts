import { api, enc, type Overview } from './api'
import { field, formatBytes, formatDuration, formatNumber, h, headRow, toast } from './dom'

/** The list of topics, with a form to create one. */
export async function topicsView(main: HTMLElement, navigate: (hash: string) => void): Promise<void> {
  const overview = await api<Overview>('GET', '/api/console/overview')
  const rows = overview.topics.map((t) =>
    h(
      'tr',
      {},
      h('th', { scope: 'row' }, h('a', { href: `#/topics/${enc(t.name)}` }, t.name)),
      h('td', { class: 'num' }, t.partitions),
      h('td', { class: 'num' }, formatNumber(t.records)),
      h('td', { class: 'num' }, formatBytes(t.sizeBytes)),
      h('td', {}, formatDuration(t.config.retentionMs)),
      h('td', {}, t.config.cleanupPolicy),
      h('td', { class: 'num' }, `${formatNumber(t.rateIn)}/s`),
      h('td', { class: 'num' }, `${formatNumber(t.rateOut)}/s`),
    ),
  )
  const name = h('input', {
    name: 'name',
    required: true,
    pattern: '[a-zA-Z0-9._-]{1,249}',
    autocomplete: 'off',
  })
  const partitions = h('input', { name: 'partitions', type: 'number', min: 1, value: 1, required: true })
  const retention = h('input', { name: 'retentionMs', type: 'number', min: -1, placeholder: '604800000' })
  const form = h(
    'form',
    { class: 'inline-form', 'aria-label': 'Create a topic' },
    field('Name', name),
    field('Partitions', partitions),
    field('Retention (ms)', retention, 'empty: 7 days; -1: forever'),
    h('button', { type: 'submit' }, 'Create topic'),
  )
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    try {
      const ms =
        retention.value === '' ? undefined : Number(retention.value) < 0 ? null : Number(retention.value)
      await api('POST', '/api/console/topics', {
        name: name.value,
        partitions: Number(partitions.value),
        ...(ms === undefined ? {} : { retentionMs: ms }),
      })
      toast(`Topic ${name.value} created`)
      navigate(`#/topics/${enc(name.value)}`)
    } catch (error) {
      toast((error as Error).message, 'error')
    }
  })
  main.replaceChildren(
    h('h1', {}, 'Topics'),
    h(
      'p',
      { class: 'muted' },
      `Cluster ${overview.clusterId}: ${overview.topics.length} topics, ${overview.groups.length} consumer groups`,
    ),
    overview.topics.length === 0
      ? h('p', {}, 'No topics yet.')
      : h(
          'table',
          { class: 'grid-table' },
          h('caption', { class: 'sr-only' }, 'Topics'),
          headRow(
            ['Topic', 'Partitions', 'Records', 'Size', 'Retention', 'Cleanup', 'In', 'Out'],
            ['Partitions', 'Records', 'Size', 'In', 'Out'],
          ),
          h('tbody', {}, ...rows),
        ),
    h('section', { class: 'card' }, h('h2', {}, 'New topic'), form),
  )
}
