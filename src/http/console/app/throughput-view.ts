import { api, enc, type Overview, type Series } from './api'
import { lineChart } from './chart'
import { h } from './dom'

/** Records in and out per second, for all topics together and for each, over the last minutes. */
export async function throughputView(main: HTMLElement): Promise<void> {
  const overview = await api<Overview>('GET', '/api/console/overview')
  const all = await api<{ in: Series; out: Series; intervalMs: number }>('GET', '/api/console/throughput')
  const perTopic = await Promise.all(
    overview.topics.map(async (t) => ({
      name: t.name,
      rates: await api<{ in: Series; out: Series }>('GET', `/api/console/throughput?topic=${enc(t.name)}`),
    })),
  )
  main.replaceChildren(
    h('h1', {}, 'Throughput'),
    h(
      'p',
      { class: 'muted' },
      `Records per second, sampled every ${all.intervalMs / 1000} s over the last ${Math.round((all.intervalMs * 300) / 60000)} minutes.`,
    ),
    lineChart(
      'All topics',
      [
        { label: 'in', series: all.in, className: 'in' },
        { label: 'out', series: all.out, className: 'out' },
      ],
      { width: 1200, height: 240, unit: '/s' },
    ),
    h(
      'div',
      { class: 'chart-grid' },
      ...perTopic.map(({ name, rates }) =>
        lineChart(
          name,
          [
            { label: 'in', series: rates.in, className: 'in' },
            { label: 'out', series: rates.out, className: 'out' },
          ],
          { width: 420, height: 120, unit: '/s' },
        ),
      ),
    ),
  )
}
