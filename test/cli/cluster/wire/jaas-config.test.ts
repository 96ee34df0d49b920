import { describe, expect, it } from 'vitest'
import { JaasSyntaxError, parseJaasConfig } from '../../../../src/cli/cluster/wire/jaas-config'

const PLAIN = 'org.apache.kafka.common.security.plain.PlainLoginModule'
const SCRAM = 'org.apache.kafka.common.security.scram.ScramLoginModule'

describe('parseJaasConfig (Kafka’s sasl.jaas.config)', () => {
  it('reads a login module, its control flag and its quoted or bare options', () => {
    const [module, ...rest] = parseJaasConfig(
      `${PLAIN} required username="alice" password="p@ss;w=rd \\"quoted\\"\\t\\101" serviceName=kafka-1.x $opt_='single';`,
    )
    expect(rest).toEqual([])
    expect(module?.loginModule).toBe(PLAIN)
    expect(module?.controlFlag).toBe('required')
    expect(Object.fromEntries(module!.options)).toEqual({
      username: 'alice',
      password: 'p@ss;w=rd "quoted"\tA',
      serviceName: 'kafka-1.x',
      $opt_: 'single',
    })
  })

  it('skips // and /* */ comments and reads the flag in any case; several modules are listed', () => {
    const modules = parseJaasConfig(
      `/* first */ ${SCRAM} REQUIRED // the user\n username="bob"\n password="x"; ${PLAIN} Optional;`,
    )
    expect(modules.map((m) => [m.loginModule, m.controlFlag, m.options.size])).toEqual([
      [SCRAM, 'required', 2],
      [PLAIN, 'optional', 0],
    ])
  })

  it('refuses what Kafka refuses: no semicolon, a bad flag, a value that is not a word or string, nothing', () => {
    const refused = (text: string) => {
      try {
        parseJaasConfig(text)
      } catch (error) {
        expect(error).toBeInstanceOf(JaasSyntaxError)
        return (error as Error).message
      }
      throw new Error(`accepted: ${text}`)
    }
    expect(refused(`${PLAIN} required username="alice"`)).toBe(
      'the login module is not terminated by a semicolon',
    )
    expect(refused(`${PLAIN} mandatory;`)).toMatch(/^invalid login module control flag 'mandatory'/)
    expect(refused(`${PLAIN};`)).toMatch(/^invalid login module control flag/)
    expect(refused(PLAIN)).toBe('login module control flag not specified')
    expect(refused(`${PLAIN} required password=123abc;`)).toBe(
      "value not specified for key 'password' (quote values that are not words)",
    )
    expect(refused(`${PLAIN} required username;`)).toMatch(/^value not specified for key 'username'/)
    expect(refused('  /* nothing */ ')).toBe('login module not specified')
  })
})
