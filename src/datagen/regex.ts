import { InvalidConfigError } from '../index'
import type { SeededRandom } from './random'

/**
 * How many repetitions an open-ended quantifier (`*`, `+`, `{n,}`) may add to its minimum.
 *
 * @example
 * ```ts
 * compileRegex('a+').generate(random).length <= 1 + OPEN_REPEAT_LIMIT // true
 * ```
 */
export const OPEN_REPEAT_LIMIT = 8

/** Printable ASCII (space to tilde): what `.` and negated classes draw from. */
const PRINTABLE = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i))
const DIGITS = chars('0', '9')
const WORD = [...chars('a', 'z'), ...chars('A', 'Z'), ...DIGITS, '_']
const SPACE = [' ', '\t', '\n', '\r', '\f', '\v']

type Node =
  | { kind: 'literal'; text: string }
  | { kind: 'set'; chars: readonly string[] }
  | { kind: 'sequence'; items: readonly Node[] }
  | { kind: 'alternation'; branches: readonly Node[] }
  | { kind: 'repeat'; item: Node; min: number; max: number }

/**
 * Strings that match a regular expression, drawn at random: what datagen's `regex` fields use (Confluent's
 * quickstarts describe ids such as `User_[1-9]` or `Page_[1-9][0-9]?` this way). Bounded and small on
 * purpose, it supports:
 *
 * - literal characters and escapes (`\.`, `\-`, `\t`, `\n`, `\uXXXX`, `\xXX`);
 * - character classes with ranges and escapes (`[A-Za-z0-9_]`), negated classes (`[^0-9]`, drawn from
 *   printable ASCII), `.` (printable ASCII), `\d`, `\w`, `\s` and their negations `\D`, `\W`, `\S`;
 * - groups `( )` and `(?: )`, alternation `|` (each branch equally likely);
 * - quantifiers `?`, `*`, `+`, `{n}`, `{n,}`, `{n,m}` (a lazy or possessive suffix is accepted and changes
 *   nothing); the count is uniform between the bounds, and an open bound is the minimum plus
 *   {@link OPEN_REPEAT_LIMIT};
 * - `^` at the start and `$` at the end (ignored: every generated string is a whole match).
 *
 * Back-references, look-arounds, named groups, flags and Unicode classes are rejected with an
 * InvalidConfigError when the pattern is compiled, never at generation time.
 *
 * @example
 * ```ts
 * const pageId = compileRegex('Page_[1-9][0-9]?')
 * pageId.generate(new SeededRandom(1)) // e.g. 'Page_37'
 * ```
 */
export interface RegexGenerator {
  readonly pattern: string
  generate(random: SeededRandom): string
}

/**
 * Compiles a pattern into a {@link RegexGenerator}; throws InvalidConfigError for what it does not support.
 *
 * @example
 * ```ts
 * const zip = compileRegex('[0-9]{5}')
 * ```
 */
export function compileRegex(pattern: string): RegexGenerator {
  const node = new Parser(pattern).parse()
  return {
    pattern,
    generate(random: SeededRandom): string {
      return generate(node, random)
    },
  }
}

function generate(node: Node, random: SeededRandom): string {
  switch (node.kind) {
    case 'literal':
      return node.text
    case 'set':
      return random.pick(node.chars)
    case 'sequence': {
      let out = ''
      for (const item of node.items) out += generate(item, random)
      return out
    }
    case 'alternation':
      return generate(random.pick(node.branches), random)
    case 'repeat': {
      const count = node.min === node.max ? node.min : random.int(node.min, node.max + 1)
      let out = ''
      for (let i = 0; i < count; i++) out += generate(node.item, random)
      return out
    }
  }
}

class Parser {
  #at = 0

  constructor(private readonly source: string) {}

  parse(): Node {
    if (this.source.startsWith('^')) this.#at = 1
    const node = this.#alternation()
    if (this.#at < this.source.length) this.#fail(`unexpected "${this.source[this.#at]}"`)
    return node
  }

  #alternation(): Node {
    const branches = [this.#sequence()]
    while (this.#peek() === '|') {
      this.#at++
      branches.push(this.#sequence())
    }
    return branches.length === 1 ? branches[0]! : { kind: 'alternation', branches }
  }

  #sequence(): Node {
    const items: Node[] = []
    for (;;) {
      const c = this.#peek()
      if (c === undefined || c === '|' || c === ')') break
      if (c === '$' && this.#at === this.source.length - 1) {
        this.#at++
        break
      }
      items.push(this.#quantified(this.#atom()))
    }
    return items.length === 1 ? items[0]! : { kind: 'sequence', items }
  }

  #quantified(item: Node): Node {
    const c = this.#peek()
    let min: number
    let max: number
    if (c === '?') [min, max] = [0, 1]
    else if (c === '*') [min, max] = [0, OPEN_REPEAT_LIMIT]
    else if (c === '+') [min, max] = [1, 1 + OPEN_REPEAT_LIMIT]
    else if (c === '{' && this.#atBraces()) {
      const close = this.source.indexOf('}', this.#at)
      const [low, high] = this.source.slice(this.#at + 1, close).split(',')
      min = Number(low)
      max = high === undefined ? min : high === '' ? min + OPEN_REPEAT_LIMIT : Number(high)
      if (max < min) this.#fail(`{${low},${high}} has its bounds the wrong way round`)
      this.#at = close
    } else return item
    this.#at++
    if (this.#peek() === '?' || this.#peek() === '+') this.#at++
    const next = this.#peek()
    if (next === '*' || next === '+' || next === '?' || (next === '{' && this.#atBraces())) {
      this.#fail('a quantifier cannot follow another')
    }
    return { kind: 'repeat', item, min, max }
  }

  #atom(): Node {
    const c = this.source[this.#at++]!
    switch (c) {
      case '(': {
        if (this.#peek() === '?') {
          if (this.source[this.#at + 1] !== ':') this.#fail('only (?: ) groups are supported')
          this.#at += 2
        }
        const inner = this.#alternation()
        if (this.source[this.#at++] !== ')') this.#fail('missing )')
        return inner
      }
      case '[':
        return { kind: 'set', chars: this.#class() }
      case '.':
        return { kind: 'set', chars: PRINTABLE }
      case '\\':
        return this.#escape(false)
      case '*':
      case '+':
      case '?':
        return this.#fail(`nothing to repeat before "${c}"`)
      case '^':
      case '$':
        return this.#fail(`"${c}" is only supported at the start or end of the pattern`)
      default:
        return { kind: 'literal', text: c }
    }
  }

  /** After `\`: a class (`\d`) or one character. */
  #escape(inClass: boolean): Node {
    const c = this.source[this.#at++]
    switch (c) {
      case undefined:
        return this.#fail('pattern ends with \\')
      case 'd':
        return { kind: 'set', chars: DIGITS }
      case 'w':
        return { kind: 'set', chars: WORD }
      case 's':
        return { kind: 'set', chars: SPACE }
      case 'D':
        return { kind: 'set', chars: except(DIGITS) }
      case 'W':
        return { kind: 'set', chars: except(WORD) }
      case 'S':
        return { kind: 'set', chars: except(SPACE) }
      case 't':
        return { kind: 'literal', text: '\t' }
      case 'n':
        return { kind: 'literal', text: '\n' }
      case 'r':
        return { kind: 'literal', text: '\r' }
      case 'f':
        return { kind: 'literal', text: '\f' }
      case 'v':
        return { kind: 'literal', text: '\v' }
      case 'x':
        return { kind: 'literal', text: this.#hex(2) }
      case 'u':
        return { kind: 'literal', text: this.#hex(4) }
      default:
        if (/[0-9]/.test(c)) return this.#fail('back-references are not supported')
        if (/[a-zA-Z]/.test(c) && !(inClass && c === 'b')) return this.#fail(`\\${c} is not supported`)
        return { kind: 'literal', text: c }
    }
  }

  #hex(digits: number): string {
    const text = this.source.slice(this.#at, this.#at + digits)
    if (!new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(text)) this.#fail(`bad hexadecimal escape "${text}"`)
    this.#at += digits
    return String.fromCharCode(Number.parseInt(text, 16))
  }

  /** After `[`: the characters of the class, up to and including its `]`. */
  #class(): readonly string[] {
    const negated = this.#peek() === '^'
    if (negated) this.#at++
    const set = new Set<string>()
    let first = true
    for (;;) {
      const c = this.source[this.#at]
      if (c === undefined) this.#fail('missing ]')
      if (c === ']' && !first) {
        this.#at++
        break
      }
      first = false
      const start = this.#classChar()
      if (start.length !== 1) {
        for (const member of start) set.add(member)
        continue
      }
      if (this.#peek() === '-' && this.source[this.#at + 1] !== ']' && this.#at + 1 < this.source.length) {
        this.#at++
        const end = this.#classChar()
        if (end.length !== 1) this.#fail('a range cannot end in a class such as \\d')
        if (end[0]! < start[0]!) this.#fail(`range ${start[0]}-${end[0]} is out of order`)
        for (const member of chars(start[0]!, end[0]!)) set.add(member)
      } else set.add(start[0]!)
    }
    const members = [...set]
    const result = negated ? PRINTABLE.filter((c) => !set.has(c)) : members
    if (result.length === 0) this.#fail('the class matches no character')
    return result
  }

  /** One member of a class: a character, or the characters of an escape such as `\d`. */
  #classChar(): readonly string[] {
    const c = this.source[this.#at++]!
    if (c !== '\\') return [c]
    const node = this.#escape(true)
    return node.kind === 'set' ? node.chars : [(node as { text: string }).text]
  }

  /** Whether a `{n}`, `{n,}` or `{n,m}` quantifier starts here (any other `{` is a literal). */
  #atBraces(): boolean {
    return /^\{\d+(,\d*)?\}/.test(this.source.slice(this.#at))
  }

  #peek(): string | undefined {
    return this.source[this.#at]
  }

  #fail(reason: string): never {
    throw new InvalidConfigError('regex', `${reason} at position ${this.#at} of /${this.source}/`)
  }
}

function chars(from: string, to: string): string[] {
  const out: string[] = []
  for (let code = from.charCodeAt(0); code <= to.charCodeAt(0); code++) out.push(String.fromCharCode(code))
  return out
}

function except(excluded: readonly string[]): string[] {
  const set = new Set(excluded)
  return PRINTABLE.filter((c) => !set.has(c))
}
