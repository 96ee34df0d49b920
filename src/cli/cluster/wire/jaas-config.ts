/** One login module of a JAAS config: its class, control flag and options. */
export interface JaasLoginModule {
  loginModule: string
  controlFlag: 'required' | 'requisite' | 'sufficient' | 'optional'
  options: Map<string, string>
}

/** A JAAS config Kafka would refuse, and why. */
export class JaasSyntaxError extends Error {
  override readonly name = 'JaasSyntaxError'
}

type Token = { kind: 'word' | 'quoted'; text: string } | { kind: 'number' } | { kind: 'char'; char: string }

/**
 * Parses the value of Kafka's `sasl.jaas.config` as Kafka's `JaasConfig` does (Java's StreamTokenizer
 * with `//` and `/* *\/` comments, `-`, `_` and `$` as word characters):
 * `<LoginModule> <flag> key=value … ;` for each module. A value is a word (`alice`) or a quoted string
 * (`"alice"`, `'alice'`, with Java's escapes); a value that starts like a number must be quoted.
 *
 * @example
 * ```ts
 * parseJaasConfig('org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="secret";')
 * ```
 */
export function parseJaasConfig(text: string): JaasLoginModule[] {
  const tokens = tokenize(text)
  const modules: JaasLoginModule[] = []
  let at = 0
  const next = (): Token | undefined => tokens[at++]
  while (at < tokens.length) {
    const module = next()!
    if (module.kind !== 'word' && module.kind !== 'quoted') {
      throw new JaasSyntaxError('expected a login module class name')
    }
    const flag = next()
    if (flag === undefined) throw new JaasSyntaxError('login module control flag not specified')
    const controlFlag = 'text' in flag ? flag.text.toLowerCase() : ''
    if (!['required', 'requisite', 'sufficient', 'optional'].includes(controlFlag)) {
      throw new JaasSyntaxError(
        `invalid login module control flag${'text' in flag ? ` '${flag.text}'` : ''} (required, requisite, sufficient or optional)`,
      )
    }
    const options = new Map<string, string>()
    let token = next()
    while (token !== undefined && !(token.kind === 'char' && token.char === ';')) {
      const key = 'text' in token ? token.text : undefined
      if (key === undefined) throw new JaasSyntaxError('expected an option name or ;')
      const equals = next()
      const value = next()
      if (equals?.kind !== 'char' || equals.char !== '=' || value === undefined || !('text' in value)) {
        throw new JaasSyntaxError(`value not specified for key '${key}' (quote values that are not words)`)
      }
      options.set(key, value.text)
      token = next()
    }
    if (token === undefined) throw new JaasSyntaxError('the login module is not terminated by a semicolon')
    modules.push({
      loginModule: module.text,
      controlFlag: controlFlag as JaasLoginModule['controlFlag'],
      options,
    })
  }
  if (modules.length === 0) throw new JaasSyntaxError('login module not specified')
  return modules
}

const isWordStart = (c: string) => /[A-Za-z_$]/.test(c) || c.charCodeAt(0) >= 0xa0
const isWordPart = (c: string) => isWordStart(c) || /[0-9.-]/.test(c)
const QUOTE_ESCAPES: Record<string, string> = {
  a: '\u0007',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\u000b',
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = []
  let at = 0
  while (at < text.length) {
    const c = text[at]!
    if (c <= ' ') {
      at++
    } else if (text.startsWith('//', at)) {
      while (at < text.length && text[at] !== '\n' && text[at] !== '\r') at++
    } else if (text.startsWith('/*', at)) {
      const end = text.indexOf('*/', at + 2)
      at = end < 0 ? text.length : end + 2
    } else if (c === '"' || c === "'") {
      // As StreamTokenizer: a string ends at its quote, or at the end of the line.
      let value = ''
      at++
      while (at < text.length && text[at] !== c && text[at] !== '\n' && text[at] !== '\r') {
        if (text[at] === '\\' && at + 1 < text.length) {
          const escaped = text[at + 1]!
          const octal = /^[0-3][0-7]{0,2}|^[4-7][0-7]?/.exec(text.slice(at + 1, at + 4))
          if (octal !== null) {
            value += String.fromCharCode(Number.parseInt(octal[0], 8))
            at += 1 + octal[0].length
          } else {
            value += QUOTE_ESCAPES[escaped] ?? escaped
            at += 2
          }
        } else value += text[at++]
      }
      if (text[at] === c) at++
      tokens.push({ kind: 'quoted', text: value })
    } else if (isWordStart(c)) {
      const start = at
      while (at < text.length && isWordPart(text[at]!)) at++
      tokens.push({ kind: 'word', text: text.slice(start, at) })
    } else if (/[0-9.]/.test(c) || (c === '-' && /[0-9.]/.test(text[at + 1] ?? ''))) {
      at++
      while (at < text.length && /[0-9.]/.test(text[at]!)) at++
      tokens.push({ kind: 'number' })
    } else {
      tokens.push({ kind: 'char', char: c })
      at++
    }
  }
  return tokens
}
