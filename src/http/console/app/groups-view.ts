import { api, enc, type GroupDetail, type Overview } from './api'
import { sparkline } from './chart'
import { field, formatNumber, h, headRow, toast } from './dom'

/** The list of consumer groups. */
export async function groupsView(main: HTMLElement): Promise<void> {
  const overview = await api<Overview>('GET', '/api/console/overview')
  main.replaceChildren(
    h('h1', {}, 'Consumer groups'),
    overview.groups.length === 0
      ? h('p', {}, 'No consumer groups yet.')
      : h(
          'table',
          { class: 'grid-table' },
          h('caption', { class: 'sr-only' }, 'Consumer groups'),
          headRow(
            ['Group', 'State', 'Members', 'Generation', 'Total lag'],
            ['Members', 'Generation', 'Total lag'],
          ),
          h(
            'tbody',
            {},
            ...overview.groups.map((g) =>
              h(
                'tr',
                {},
                h('th', { scope: 'row' }, h('a', { href: `#/groups/${enc(g.groupId)}` }, g.groupId)),
                h('td', {}, h('span', { class: `state state-${g.state}` }, g.state)),
                h('td', { class: 'num' }, g.members),
                h('td', { class: 'num' }, g.generation),
                h('td', { class: 'num', 'data-total-lag': g.groupId }, formatNumber(g.totalLag)),
              ),
            ),
          ),
        ),
  )
}

/** One group: members and their partitions, lag per partition and total, a sparkline, offset reset. */
export async function groupView(main: HTMLElement, groupId: string, refresh: () => void): Promise<void> {
  const group = await api<GroupDetail>('GET', `/api/console/groups/${enc(groupId)}`)
  const total = group.lag.reduce((n, l) => n + l.lag, 0)
  const owner = new Map<string, string>()
  for (const m of group.members)
    for (const tp of m.assignment) owner.set(`${tp.topic}-${tp.partition}`, m.clientId)
  const to = h(
    'select',
    { name: 'to' },
    h('option', { value: 'earliest' }, 'Earliest'),
    h('option', { value: 'latest' }, 'Latest'),
    h('option', { value: 'timestamp' }, 'Timestamp'),
    h('option', { value: 'offset' }, 'Offset'),
  )
  const at = h('input', {
    name: 'at',
    type: 'text',
    placeholder: '2026-01-01T00:00:00Z or 42',
    autocomplete: 'off',
  })
  const topics = [...new Set(group.lag.map((l) => l.topic))]
  const topic = h(
    'select',
    { name: 'topic' },
    h('option', { value: '' }, 'All topics'),
    ...topics.map((t) => h('option', { value: t }, t)),
  )
  const empty = group.members.length === 0
  const form = h(
    'form',
    { class: 'inline-form', 'aria-label': 'Reset offsets' },
    field('Reset to', to),
    field('Timestamp or offset', at),
    field('Topic', topic),
    h('button', { type: 'submit', disabled: !empty }, 'Reset offsets'),
    empty
      ? null
      : h(
          'p',
          { class: 'muted', id: 'reset-note' },
          'The group has members: offsets can be reset only while it is empty, as in Kafka.',
        ),
  )
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const body: Record<string, unknown> = {
      to: to.value,
      ...(topic.value === '' ? {} : { topics: [topic.value] }),
    }
    if (to.value === 'timestamp')
      body.timestamp = /^\d+$/.test(at.value) ? Number(at.value) : Date.parse(at.value)
    if (to.value === 'offset') body.offset = Number(at.value)
    try {
      await api('POST', `/api/console/groups/${enc(groupId)}/reset`, body)
      toast(`Offsets of ${groupId} reset`)
      refresh()
    } catch (error) {
      toast((error as Error).message, 'error')
    }
  })
  main.replaceChildren(
    h('p', {}, h('a', { href: '#/groups' }, '← Consumer groups')),
    h('h1', {}, groupId),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'State'),
      h('dd', {}, h('span', { class: `state state-${group.state}` }, group.state)),
      h('dt', {}, 'Generation'),
      h('dd', {}, group.generation),
      h('dt', {}, 'Protocol'),
      h('dd', {}, group.protocol || '—'),
      h('dt', {}, 'Total lag'),
      h('dd', { id: 'total-lag' }, formatNumber(total)),
    ),
    h(
      'p',
      { class: 'row' },
      h('span', { class: 'muted' }, 'Lag, last minutes'),
      sparkline(group.history, `Lag of ${groupId}`),
    ),
    h('h2', {}, 'Members'),
    group.members.length === 0
      ? h('p', { class: 'muted' }, 'No members.')
      : h(
          'table',
          { class: 'grid-table' },
          headRow(['Member', 'Client', 'Instance', 'Partitions']),
          h(
            'tbody',
            {},
            ...group.members.map((m) =>
              h(
                'tr',
                {},
                h('td', { class: 'mono' }, m.memberId),
                h('td', {}, m.clientId),
                h('td', {}, m.instanceId ?? '—'),
                h('td', {}, m.assignment.map((tp) => `${tp.topic}-${tp.partition}`).join(', ') || '—'),
              ),
            ),
          ),
        ),
    h('h2', {}, 'Lag per partition'),
    h(
      'table',
      { class: 'grid-table', id: 'lag-table' },
      headRow(
        ['Topic', 'Partition', 'Committed', 'Log end', 'Lag', 'Owner'],
        ['Partition', 'Committed', 'Log end', 'Lag'],
      ),
      h(
        'tbody',
        {},
        ...group.lag.map((l) =>
          h(
            'tr',
            {},
            h('td', {}, l.topic),
            h('td', { class: 'num' }, l.partition),
            h('td', { class: 'num' }, l.committedOffset ?? '—'),
            h('td', { class: 'num' }, l.logEndOffset),
            h('td', { class: 'num lag' }, formatNumber(l.lag)),
            h('td', {}, owner.get(`${l.topic}-${l.partition}`) ?? '—'),
          ),
        ),
      ),
    ),
    h('section', { class: 'card' }, h('h2', {}, 'Reset offsets'), form),
  )
}
