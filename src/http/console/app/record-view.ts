import { h } from './dom'

export type ViewMode = 'text' | 'json' | 'hex'

export function fromBase64(b64: string | null): Uint8Array | null {
  if (b64 === null) return null
  const binary = atob(b64)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

const decoder = new TextDecoder('utf-8', { fatal: false })

export function asText(bytes: Uint8Array | null): string {
  return bytes === null ? '' : decoder.decode(bytes)
}

export function hexDump(bytes: Uint8Array): string {
  const lines: string[] = []
  for (let i = 0; i < bytes.length; i += 16) {
    const row = Array.from(bytes.subarray(i, i + 16))
    const hex = row.map((b) => b.toString(16).padStart(2, '0')).join(' ')
    const ascii = row.map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('')
    lines.push(`${i.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`)
  }
  return lines.join('\n')
}

/** JSON as a tree of <details>: objects and arrays collapse, every value is a text node. */
function jsonTree(value: unknown, name: string | undefined, depth: number): HTMLElement {
  const label = name === undefined ? null : h('span', { class: 'json-key' }, `${JSON.stringify(name)}: `)
  if (value !== null && typeof value === 'object') {
    const entries = Array.isArray(value)
      ? value.map((v, i) => [String(i), v] as const)
      : Object.entries(value)
    const open = Array.isArray(value) ? '[' : '{'
    const close = Array.isArray(value) ? ']' : '}'
    const details = h(
      'details',
      { class: 'json', open: depth < 2 },
      h(
        'summary',
        {},
        label,
        `${open} ${entries.length} ${Array.isArray(value) ? 'items' : 'keys'} ${close}`,
      ),
      ...entries.map(([k, v]) => jsonTree(v, Array.isArray(value) ? undefined : k, depth + 1)),
    )
    return details
  }
  return h(
    'div',
    { class: 'json-leaf' },
    label,
    h('span', { class: `json-${value === null ? 'null' : typeof value}` }, JSON.stringify(value)),
  )
}

/** A key or value as the chosen view shows it. Every byte of the record ends up in a text node. */
export function renderBytes(bytes: Uint8Array | null, mode: ViewMode): HTMLElement {
  if (bytes === null) return h('span', { class: 'muted' }, 'null')
  if (mode === 'hex') return h('pre', { class: 'hex' }, hexDump(bytes))
  const text = asText(bytes)
  if (mode === 'json') {
    try {
      return h('div', { class: 'json-root' }, jsonTree(JSON.parse(text), undefined, 0))
    } catch {
      return h(
        'div',
        {},
        h('small', { class: 'muted' }, 'not JSON, shown as text'),
        h('pre', { class: 'text' }, text),
      )
    }
  }
  return h('pre', { class: 'text' }, text)
}
