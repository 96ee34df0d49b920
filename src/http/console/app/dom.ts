/**
 * The console builds its page with these helpers only: elements and text nodes, never HTML strings,
 * so that nothing a record holds is ever parsed as markup.
 */
export type Child = Node | string | number | null | undefined | false
export type Attributes = Record<string, string | number | boolean | null | undefined | EventListener>

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag)
  setAttributes(element, attributes)
  append(element, children)
  return element
}

export function setAttributes(element: Element, attributes: Attributes): void {
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, ''), value)
    else if (value === true) element.setAttribute(name, '')
    else element.setAttribute(name, String(value))
  }
}

export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)))
  }
}

/** Replaces an element's content. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren()
  append(parent, children)
}

const SVG = 'http://www.w3.org/2000/svg'

export function svg(
  tag: string,
  attributes: Record<string, string | number> = {},
  ...children: Node[]
): SVGElement {
  const element = document.createElementNS(SVG, tag)
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value))
  for (const child of children) element.appendChild(child)
  return element
}

let ids = 0
/** A fresh id, to tie a label to its control. */
export function uid(prefix: string): string {
  ids++
  return `${prefix}-${ids}`
}

/** A labelled form field. */
export function field(
  label: string,
  control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement,
  hint?: string,
): HTMLElement {
  control.id ||= uid('f')
  const hintId = hint === undefined ? undefined : `${control.id}-hint`
  if (hintId !== undefined) control.setAttribute('aria-describedby', hintId)
  return h(
    'div',
    { class: 'field' },
    h('label', { for: control.id }, label),
    control,
    hint === undefined ? null : h('small', { id: hintId!, class: 'muted' }, hint),
  )
}

/** A table's header row; the columns named in `numeric` are aligned right, as their cells are. */
export function headRow(columns: readonly string[], numeric: readonly string[] = []): HTMLElement {
  return h(
    'thead',
    {},
    h(
      'tr',
      {},
      ...columns.map((c) => h('th', { scope: 'col', class: numeric.includes(c) ? 'num' : null }, c)),
    ),
  )
}

/** "1 record", "2 records". */
export function count(n: number, noun: string): string {
  return `${formatNumber(n)} ${noun}${n === 1 ? '' : 's'}`
}

export function formatNumber(n: number): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: n < 10 ? 1 : 0 })
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024
    i++
  }
  return `${n.toLocaleString('en-US', { maximumFractionDigits: i === 0 ? 0 : 1 })} ${units[i]}`
}

export function formatTime(ms: number): string {
  const d = new Date(ms)
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
}

export function formatDuration(ms: number | null): string {
  if (ms === null) return 'forever'
  const units: Array<[number, string]> = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'min'],
    [1000, 's'],
  ]
  for (const [size, unit] of units) if (ms >= size && ms % size === 0) return `${ms / size} ${unit}`
  return `${ms} ms`
}

/** Shows a short message in the status region. */
export function toast(message: string, kind: 'info' | 'error' = 'info'): void {
  const region = document.getElementById('toast')
  if (region === null) return
  region.className = kind
  region.textContent = message
  window.clearTimeout(Number(region.dataset.timer ?? 0))
  region.dataset.timer = String(window.setTimeout(() => (region.textContent = ''), 6000))
}
