/**
 * A strict parser of Prometheus's text format 0.0.4, for tests: every line is a HELP, a TYPE, a
 * sample of the family declared just before, or empty (which the format ignores); names and labels
 * are checked against the format's grammar, label values unescaped, histogram buckets checked
 * cumulative with a final +Inf equal to `_count`. Anything else throws, naming the line.
 */
export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

export interface Family {
  name: string
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped'
  help: string
  samples: Sample[]
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/

function parseValue(text: string, line: number): number {
  if (text === '+Inf') return Infinity
  if (text === '-Inf') return -Infinity
  if (text === 'NaN') return NaN
  if (!/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(text)) throw new Error(`line ${line}: bad value ${text}`)
  return Number(text)
}

function parseLabels(text: string, line: number): Record<string, string> {
  const labels: Record<string, string> = {}
  let i = 0
  while (i < text.length) {
    const eq = text.indexOf('=', i)
    const name = text.slice(i, eq)
    if (!LABEL.test(name)) throw new Error(`line ${line}: bad label name ${name}`)
    if (text[eq + 1] !== '"') throw new Error(`line ${line}: label value must be quoted`)
    let value = ''
    let j = eq + 2
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\\') {
        const next = text[++j]
        if (next === 'n') value += '\n'
        else if (next === '\\' || next === '"') value += next
        else throw new Error(`line ${line}: bad escape \\${next}`)
      } else if (text[j] === '\n') throw new Error(`line ${line}: newline in a label value`)
      else value += text[j]
    }
    if (j >= text.length) throw new Error(`line ${line}: unterminated label value`)
    if (name in labels) throw new Error(`line ${line}: label ${name} twice`)
    labels[name] = value
    i = j + 1
    if (text[i] === ',') i++
    else if (i !== text.length) throw new Error(`line ${line}: expected , between labels`)
  }
  return labels
}

export function parsePrometheus(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline')
  const families = new Map<string, Family>()
  let current: Family | undefined
  const lines = text.slice(0, -1).split('\n')
  lines.forEach((raw, index) => {
    const line = index + 1
    if (raw.startsWith('# HELP ')) {
      const [, name, help] = /^# HELP (\S+) (.*)$/.exec(raw) ?? []
      if (name === undefined || !NAME.test(name)) throw new Error(`line ${line}: bad HELP`)
      if (families.has(name)) throw new Error(`line ${line}: family ${name} declared twice`)
      current = { name, type: 'untyped', help: help!, samples: [] }
      families.set(name, current)
      return
    }
    if (raw.startsWith('# TYPE ')) {
      const [, name, type] = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(raw) ?? []
      if (name === undefined || current?.name !== name) throw new Error(`line ${line}: TYPE without its HELP`)
      current.type = type as Family['type']
      return
    }
    // The format ignores empty lines (prom-client puts one between families); any other comment is refused.
    if (raw === '') return
    if (raw.startsWith('#')) throw new Error(`line ${line}: unexpected ${JSON.stringify(raw)}`)
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(raw)
    if (match === null) throw new Error(`line ${line}: not a sample: ${raw}`)
    const [, name, labelText, valueText] = match
    if (current === undefined) throw new Error(`line ${line}: a sample before any family`)
    const allowed =
      current.type === 'histogram'
        ? [`${current.name}_bucket`, `${current.name}_sum`, `${current.name}_count`]
        : [current.name]
    if (!allowed.includes(name!)) throw new Error(`line ${line}: ${name} outside its family ${current.name}`)
    current.samples.push({
      name: name!,
      labels: parseLabels(labelText ?? '', line),
      value: parseValue(valueText!, line),
    })
  })
  for (const family of families.values()) {
    if (family.type !== 'histogram') continue
    const buckets = family.samples.filter((s) => s.name.endsWith('_bucket'))
    const count = family.samples.find((s) => s.name.endsWith('_count'))?.value
    for (let i = 1; i < buckets.length; i++) {
      if (buckets[i]!.value < buckets[i - 1]!.value) throw new Error(`${family.name}: buckets not cumulative`)
    }
    if (buckets.at(-1)?.labels.le !== '+Inf' || buckets.at(-1)?.value !== count) {
      throw new Error(`${family.name}: the +Inf bucket must equal _count`)
    }
  }
  return families
}

/** The value of one sample, by family and labels. */
export function sampleValue(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const family of families.values()) {
    for (const sample of family.samples) {
      if (sample.name === name && Object.entries(labels).every(([k, v]) => sample.labels[k] === v))
        return sample.value
    }
  }
  return undefined
}
