import { describe, expect, it } from 'vitest'
import {
  PropertiesSyntaxError,
  parseProperties,
  propertiesText,
} from '../../../../src/cli/cluster/wire/java-properties'

describe('parseProperties (java.util.Properties.load)', () => {
  it('reads key=value, key: value and key value lines; skips # and ! comments and blank lines', () => {
    const text = [
      '# a comment',
      '  ! another = not a key',
      '',
      'security.protocol=SASL_SSL',
      '  sasl.mechanism : PLAIN',
      'client.id\tlogbus-tools',
      'empty=',
      'bare',
      'spaced =  value with  spaces  ',
    ].join('\n')
    expect(Object.fromEntries(parseProperties(text))).toEqual({
      'security.protocol': 'SASL_SSL',
      'sasl.mechanism': 'PLAIN',
      'client.id': 'logbus-tools',
      empty: '',
      bare: '',
      spaced: 'value with  spaces  ',
    })
  })

  it('joins a line ending in an odd number of backslashes to the next, without its leading blanks', () => {
    const text =
      'sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \\\r\n' +
      '    username="alice" \\\n' +
      '    password="a\\\\b";\r' +
      'path=C:\\\\kafka\\\\\n' +
      'next=1\n' +
      '# a comment ending in a backslash does not go on \\\n' +
      'after=2\n' +
      'last=end\\'
    expect(Object.fromEntries(parseProperties(text))).toEqual({
      'sasl.jaas.config':
        'org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="a\\b";',
      path: 'C:\\kafka\\',
      next: '1',
      after: '2',
      last: 'end',
    })
  })

  it('unescapes \\t \\n \\r \\f \\uXXXX and a backslash before anything else, in keys and values', () => {
    const text = 'a\\=b\\:c\\ d = x\\ty\\nz\\u00e9\\\\\\q\n#\nkey\\u0020two=2\nlater=1\nlater=2'
    expect(Object.fromEntries(parseProperties(text))).toEqual({
      'a=b:c d': 'x\ty\nzé\\q',
      'key two': '2',
      later: '2',
    })
  })

  it('refuses a malformed \\u escape, naming its line', () => {
    const error = (() => {
      try {
        parseProperties('ok=1\n\nbad=\\u12G4\n')
      } catch (e) {
        return e
      }
    })()
    expect(error).toBeInstanceOf(PropertiesSyntaxError)
    expect((error as Error).message).toBe('line 3: malformed \\uxxxx escape')
  })

  it('reads UTF-8, and bytes that are not UTF-8 as ISO-8859-1 (as Java does)', () => {
    expect(propertiesText(Buffer.from('password=pässwörd ✓', 'utf8'))).toBe('password=pässwörd ✓')
    expect(propertiesText(Buffer.from('password=p\u00e4ss', 'latin1'))).toBe('password=päss')
  })
})
