import { api } from './api'
import { count, formatNumber, h, headRow, replace } from './dom'

interface ConnectorStatus {
  name: string
  type: 'source' | 'sink'
  connectorClass: string
  delivery: string
  state: string
  tasks: Array<{ id: number; state: string; records: number; error?: string }>
}

/** The connectors of the Connect worker given to `serveHttp`, and their tasks: read-only. */
export async function connectorsView(main: HTMLElement): Promise<void> {
  const { enabled, connectors } = await api<{ enabled: boolean; connectors: ConnectorStatus[] }>(
    'GET',
    '/api/console/connectors',
  )
  const body = !enabled
    ? h(
        'p',
        {},
        'No Connect worker is shown here: pass one to serveHttp as ',
        h('code', {}, 'connect: worker'),
        '.',
      )
    : connectors.length === 0
      ? h('p', {}, 'No connectors.')
      : h(
          'table',
          { class: 'grid-table', id: 'connectors' },
          h('caption', { class: 'sr-only' }, 'Connectors'),
          headRow(['Connector', 'Type', 'Class', 'State', 'Tasks', 'Records'], ['Records']),
          h(
            'tbody',
            {},
            ...connectors.map((c) =>
              h(
                'tr',
                {},
                h('th', { scope: 'row' }, c.name),
                h('td', {}, c.type),
                h('td', { class: 'mono' }, c.connectorClass),
                h('td', {}, h('span', { class: `state state-${c.state}` }, c.state)),
                h(
                  'td',
                  {},
                  h(
                    'ul',
                    { class: 'plain' },
                    ...c.tasks.map((t) =>
                      h(
                        'li',
                        {},
                        `#${t.id} `,
                        h('span', { class: `state state-${t.state}` }, t.state),
                        t.error === undefined ? null : h('span', { class: 'error-text' }, ` ${t.error}`),
                      ),
                    ),
                  ),
                ),
                h('td', { class: 'num' }, formatNumber(c.tasks.reduce((n, t) => n + t.records, 0))),
              ),
            ),
          ),
        )
  replace(
    main,
    h('h1', {}, 'Connectors'),
    enabled ? h('p', { class: 'muted' }, count(connectors.length, 'connector')) : null,
    body,
  )
}
