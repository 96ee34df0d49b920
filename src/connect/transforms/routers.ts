import { InvalidRecordError } from '../../index'
import type { ConfigReader } from '../config'
import { compileDateFormat } from './date-format'
import type { Transformation } from './transform'

/**
 * Kafka's `TimestampRouter`: renames the topic from `topic.format` (default `${topic}-${timestamp}`),
 * where `${timestamp}` is the record's timestamp formatted by `timestamp.format` (Java's
 * SimpleDateFormat letters, default `yyyyMMdd`, in UTC). A record without a timestamp fails.
 *
 * @example
 * ```ts
 * timestampRouter(configReader({ 'timestamp.format': 'yyyy-MM' }, 'transforms.t')) // orders → orders-2024-06
 * ```
 */
export function timestampRouter(read: ConfigReader): Transformation {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Kafka's placeholder syntax, not a template
  const topicFormat = read.string('topic.format', '${topic}-${timestamp}')
  const format = compileDateFormat(read.string('timestamp.format', 'yyyyMMdd'), read)
  return {
    apply(record) {
      if (typeof record.timestamp !== 'number') {
        throw new InvalidRecordError(`Timestamp missing on record of topic "${record.topic}"`)
      }
      const stamp = format(record.timestamp)
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Kafka's placeholder syntax, not a template
      const topic = topicFormat.replaceAll('${topic}', record.topic).replaceAll('${timestamp}', stamp)
      return { ...record, topic }
    },
  }
}

/**
 * Kafka's `RegexRouter`: when the whole topic name matches `regex`, it becomes `replacement`, where
 * `$1`… (and `${name}`) refer to the regex's groups, as in Java. Other topics pass unchanged.
 *
 * @example
 * ```ts
 * regexRouter(configReader({ regex: '(.*)-raw', replacement: '$1' }, 'transforms.t')) // orders-raw → orders
 * ```
 */
export function regexRouter(read: ConfigReader): Transformation {
  const source = read.string('regex')
  let whole: RegExp
  try {
    whole = new RegExp(`^(?:${source})$`)
  } catch (cause) {
    return read.fail('regex', `is not a valid regular expression: ${(cause as Error).message}`)
  }
  const replacement = javaReplacement(read.string('replacement'))
  return {
    apply(record) {
      if (!whole.test(record.topic)) return record
      return { ...record, topic: record.topic.replace(whole, replacement) }
    },
  }
}

/** Java's replacement syntax (`$1`, `${name}`, `\$`) in JavaScript's (`$1`, `$<name>`, `$$`). */
function javaReplacement(text: string): string {
  let out = ''
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (c === '\\' && i + 1 < text.length) {
      const next = text[++i]!
      out += next === '$' ? '$$' : next
    } else if (c === '$' && text[i + 1] === '{') {
      const close = text.indexOf('}', i)
      out += `$<${text.slice(i + 2, close)}>`
      i = close
    } else out += c
  }
  return out
}
