import type { Series } from './api'
import { formatNumber, h, svg } from './dom'

/** A line chart of one or two series over time, drawn as SVG elements (no library). */
export function lineChart(
  title: string,
  lines: Array<{ label: string; series: Series; className: string }>,
  options: { width?: number; height?: number; unit?: string } = {},
): HTMLElement {
  const width = options.width ?? 640
  const height = options.height ?? 160
  const pad = { left: 48, right: 8, top: 8, bottom: 20 }
  const all = lines.flatMap((l) => l.series.values)
  const max = Math.max(1, ...all)
  const times = lines.flatMap((l) => l.series.times)
  const t0 = Math.min(...times)
  const t1 = Math.max(...times)
  const x = (t: number): number =>
    pad.left + ((t - t0) / Math.max(1, t1 - t0)) * (width - pad.left - pad.right)
  const y = (v: number): number => height - pad.bottom - (v / max) * (height - pad.top - pad.bottom)
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img' })
  const summary = lines
    .map(
      (l) =>
        `${l.label}: now ${formatNumber(l.series.values.at(-1) ?? 0)}${options.unit ?? ''}, peak ${formatNumber(Math.max(0, ...l.series.values))}`,
    )
    .join('; ')
  chart.setAttribute('aria-label', `${title}. ${summary}`)
  for (const fraction of [0, 0.5, 1]) {
    const value = max * fraction
    chart.appendChild(
      svg('line', { x1: pad.left, x2: width - pad.right, y1: y(value), y2: y(value), class: 'grid' }),
    )
    const label = svg('text', { x: pad.left - 6, y: y(value) + 4, 'text-anchor': 'end', class: 'axis' })
    label.textContent = formatNumber(value)
    chart.appendChild(label)
  }
  for (const line of lines) {
    if (line.series.values.length === 0) continue
    const points = line.series.values.map(
      (v, i) => `${x(line.series.times[i]!).toFixed(1)},${y(v).toFixed(1)}`,
    )
    chart.appendChild(svg('polyline', { points: points.join(' '), class: `line ${line.className}` }))
  }
  const legend = h(
    'ul',
    { class: 'legend' },
    ...lines.map((l) =>
      h(
        'li',
        {},
        h('span', { class: `swatch ${l.className}`, 'aria-hidden': 'true' }),
        `${l.label} `,
        h('strong', {}, formatNumber(l.series.values.at(-1) ?? 0)),
        options.unit ?? '',
      ),
    ),
  )
  return h('figure', { class: 'chart-box' }, h('figcaption', {}, title), chart, legend)
}

/** A small line without axes: a group's lag over the last minutes. */
export function sparkline(series: Series, label: string): SVGElement {
  const width = 160
  const height = 32
  const max = Math.max(1, ...series.values)
  const n = series.values.length
  const spark = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'sparkline', role: 'img' })
  spark.setAttribute(
    'aria-label',
    `${label}: ${series.values
      .map((v) => formatNumber(v))
      .slice(-10)
      .join(', ')}`,
  )
  if (n > 0) {
    const points = series.values.map(
      (v, i) =>
        `${((i / Math.max(1, n - 1)) * (width - 2) + 1).toFixed(1)},${(height - 2 - (v / max) * (height - 4)).toFixed(1)}`,
    )
    spark.appendChild(svg('polyline', { points: points.join(' '), class: 'line lag' }))
  }
  return spark
}
