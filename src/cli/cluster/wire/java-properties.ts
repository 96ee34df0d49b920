/** A line of a properties file that cannot be read, with its (1-based) number. */
export class PropertiesSyntaxError extends Error {
  override readonly name = 'PropertiesSyntaxError'
  constructor(
    readonly line: number,
    reason: string,
  ) {
    super(`line ${line}: ${reason}`)
  }
}

/**
 * The bytes of a properties file as text: UTF-8 when they are valid UTF-8 (what an editor writes today),
 * else ISO-8859-1, which is how Java's `Properties.load` reads every file. Both read an ASCII file, with
 * `\uXXXX` escapes for the rest, the same way.
 */
export function propertiesText(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return new TextDecoder('latin1').decode(bytes)
  }
}

/**
 * Parses a Java properties file as `java.util.Properties.load` does: `key=value`, `key: value` or
 * `key value`; `#` and `!` comment lines; a line ending in an odd number of backslashes goes on at the
 * next (its leading blanks dropped); escapes `\t \n \r \f \uXXXX`, and a backslash before any other
 * character is that character (`\=`, `\:`, `\ `, `\\`). A later key replaces an earlier one. A malformed
 * `\u` escape is a `PropertiesSyntaxError` naming its line.
 */
export function parseProperties(text: string): Map<string, string> {
  const properties = new Map<string, string>()
  const lines = text.split(/\r\n|\r|\n/)
  for (let i = 0; i < lines.length; i++) {
    const first = i + 1
    let logical = stripLeadingBlanks(lines[i]!)
    if (logical === '' || logical.startsWith('#') || logical.startsWith('!')) continue
    while (endsInEscape(logical) && i + 1 < lines.length) {
      i++
      logical = logical.slice(0, -1) + stripLeadingBlanks(lines[i]!)
    }
    if (endsInEscape(logical)) logical = logical.slice(0, -1)
    const [rawKey, rawValue] = splitKeyValue(logical)
    properties.set(unescapeProperty(rawKey, first), unescapeProperty(rawValue, first))
  }
  return properties
}

const BLANKS = new Set([' ', '\t', '\f'])

function stripLeadingBlanks(line: string): string {
  let at = 0
  while (at < line.length && BLANKS.has(line[at]!)) at++
  return line.slice(at)
}

/** Whether a line ends in an odd number of backslashes: its last one escapes the line's end. */
function endsInEscape(line: string): boolean {
  let count = 0
  for (let at = line.length - 1; at >= 0 && line[at] === '\\'; at--) count++
  return count % 2 === 1
}

/** The key ends at the first unescaped `=`, `:` or blank; blanks and one `=` or `:` separate the value. */
function splitKeyValue(line: string): [string, string] {
  let at = 0
  while (at < line.length) {
    const c = line[at]!
    if (c === '\\') at += 2
    else if (c === '=' || c === ':' || BLANKS.has(c)) break
    else at++
  }
  const key = line.slice(0, Math.min(at, line.length))
  let rest = at
  while (rest < line.length && BLANKS.has(line[rest]!)) rest++
  if (rest < line.length && (line[rest] === '=' || line[rest] === ':')) rest++
  while (rest < line.length && BLANKS.has(line[rest]!)) rest++
  return [key, line.slice(rest)]
}

const ESCAPES: Record<string, string> = { t: '\t', n: '\n', r: '\r', f: '\f' }

function unescapeProperty(text: string, line: number): string {
  if (!text.includes('\\')) return text
  let out = ''
  for (let at = 0; at < text.length; at++) {
    const c = text[at]!
    if (c !== '\\' || at + 1 >= text.length) {
      out += c
      continue
    }
    const next = text[++at]!
    if (next === 'u') {
      const hex = text.slice(at + 1, at + 5)
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new PropertiesSyntaxError(line, 'malformed \\uxxxx escape')
      out += String.fromCharCode(Number.parseInt(hex, 16))
      at += 4
    } else out += ESCAPES[next] ?? next
  }
  return out
}
