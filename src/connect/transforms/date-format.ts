import type { ConfigReader } from '../config'

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']

type Part = string | ((d: Date) => string)

const pad = (n: number, width: number): string => String(n).padStart(width, '0')

/** One run of a pattern letter (`yyyy`, `MM`, …) as a function of a UTC date, or undefined if unsupported. */
function letterRun(letter: string, width: number): ((d: Date) => string) | undefined {
  switch (letter) {
    case 'y':
      return width === 2 ? (d) => pad(d.getUTCFullYear() % 100, 2) : (d) => pad(d.getUTCFullYear(), width)
    case 'M':
      if (width >= 3) return (d) => MONTHS[d.getUTCMonth()]!
      return (d) => pad(d.getUTCMonth() + 1, width)
    case 'd':
      return (d) => pad(d.getUTCDate(), width)
    case 'H':
      return (d) => pad(d.getUTCHours(), width)
    case 'h':
      return (d) => pad(d.getUTCHours() % 12 || 12, width)
    case 'm':
      return (d) => pad(d.getUTCMinutes(), width)
    case 's':
      return (d) => pad(d.getUTCSeconds(), width)
    case 'S':
      return (d) => pad(d.getUTCMilliseconds(), Math.max(width, 3)).slice(0, width)
    case 'E':
      return (d) => DAYS[d.getUTCDay()]!
    case 'a':
      return (d) => (d.getUTCHours() < 12 ? 'AM' : 'PM')
    case 'Z':
      return () => '+0000'
    case 'X':
      return () => 'Z'
    default:
      return undefined
  }
}

/**
 * Compiles a Java SimpleDateFormat pattern to a formatter of epoch milliseconds in UTC (what Kafka's
 * TimestampRouter uses). Supported letters: `y M d H h m s S E a Z X`, with `'quoted'` literals and
 * `''` for a quote; any other letter is an InvalidConfigError.
 */
export function compileDateFormat(pattern: string, read: ConfigReader): (ms: number) => string {
  const parts: Part[] = []
  for (let i = 0; i < pattern.length; ) {
    const c = pattern[i]!
    if (c === "'") {
      if (pattern[i + 1] === "'") {
        parts.push("'")
        i += 2
        continue
      }
      const close = pattern.indexOf("'", i + 1)
      if (close < 0) read.fail('timestamp.format', `unterminated quote in "${pattern}"`)
      parts.push(pattern.slice(i + 1, close))
      i = close + 1
    } else if (/[a-zA-Z]/.test(c)) {
      let end = i
      while (pattern[end] === c) end++
      const run = letterRun(c, end - i)
      if (run === undefined) read.fail('timestamp.format', `pattern letter "${c}" is not supported`)
      parts.push(run)
      i = end
    } else {
      parts.push(c)
      i++
    }
  }
  return (ms) => {
    const date = new Date(ms)
    let out = ''
    for (const part of parts) out += typeof part === 'string' ? part : part(date)
    return out
  }
}
