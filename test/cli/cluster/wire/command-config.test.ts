import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { UsageError } from '../../../../src/cli/cli-error'
import { clientSettings, loadClientSettings } from '../../../../src/cli/cluster/wire/command-config'
import { scratch } from '../../support'

const CERT = readFileSync(new URL('../../../wire/fixtures/server.crt', import.meta.url), 'utf8')
const KEY = readFileSync(new URL('../../../wire/fixtures/server.key', import.meta.url), 'utf8')
const JAAS =
  'org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="alice-secret";'

/** A properties file in a scratch directory, and its path. */
function file(text: string, name = 'client.properties'): string {
  const path = join(scratch(), name)
  writeFileSync(path, text)
  return path
}

const noFiles = () => Promise.reject(new Error('no file should be read'))

/** The one-line error a file gives. */
async function refusal(text: string): Promise<string> {
  const path = file(text)
  const error = await loadClientSettings(path, 'command-config').then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(UsageError)
  const message = (error as Error).message
  expect(message.startsWith(`--command-config ${path}: `)).toBe(true)
  expect(message).not.toContain('\n')
  return message.slice(`--command-config ${path}: `.length)
}

describe('client properties (--command-config)', () => {
  it('PLAINTEXT by default: no TLS, no SASL; client.id and the timeouts Kafka names', async () => {
    const settings = await clientSettings(
      new Map([
        ['client.id', ' tools '],
        ['request.timeout.ms', '5000'],
        ['socket.connection.setup.timeout.ms', '2000'],
        ['acks', 'all'],
        ['sasl.jaas.config', 'ignored without SASL'],
        ['ssl.truststore.location', '/ignored/without/ssl'],
      ]),
      noFiles,
    )
    expect(settings).toEqual({ clientId: 'tools', requestTimeoutMs: 5000, connectTimeoutMs: 2000 })
  })

  it('SASL_SSL with SCRAM, a PEM trust store file, and no host-name check', async () => {
    const truststore = file(CERT, 'ca.pem')
    const settings = await loadClientSettings(
      file(
        [
          'security.protocol=sasl_ssl',
          'sasl.mechanism=SCRAM-SHA-512',
          `sasl.jaas.config=${JAAS}`,
          'ssl.truststore.type=PEM',
          `ssl.truststore.location=${truststore}`,
          'ssl.endpoint.identification.algorithm=',
          'ssl.enabled.protocols=TLSv1.3, TLSv1.2',
        ].join('\n'),
      ),
      'command-config',
    )
    expect(settings.sasl).toEqual({ mechanism: 'SCRAM-SHA-512', username: 'alice', password: 'alice-secret' })
    expect(settings.tls).toMatchObject({ ca: CERT, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' })
    const tls = settings.tls as { checkServerIdentity?: () => unknown }
    expect(tls.checkServerIdentity?.()).toBeUndefined()
  })

  it('SSL with Node’s own authorities and the host-name check when nothing else is said', async () => {
    const settings = await clientSettings(new Map([['security.protocol', 'SSL']]), noFiles)
    expect(settings).toEqual({ tls: {} })
  })

  it('mutual TLS from a PEM key store file, or from the key and chain inline', async () => {
    const keystore = file(`${KEY}\n${CERT}`, 'client.pem')
    const fromFile = await clientSettings(
      new Map([
        ['security.protocol', 'SSL'],
        ['ssl.keystore.type', 'PEM'],
        ['ssl.keystore.location', keystore],
        ['ssl.key.password', 'unused'],
      ]),
      (path) => Promise.resolve(readFileSync(path)),
    )
    expect(fromFile.tls).toMatchObject({
      key: `${KEY}\n${CERT}`,
      cert: `${KEY}\n${CERT}`,
      passphrase: 'unused',
    })
    const inline = await clientSettings(
      new Map([
        ['security.protocol', 'SSL'],
        ['ssl.keystore.type', 'PEM'],
        ['ssl.keystore.key', KEY],
        ['ssl.keystore.certificate.chain', CERT],
        ['ssl.truststore.type', 'PEM'],
        ['ssl.truststore.certificates', CERT],
      ]),
      noFiles,
    )
    expect(inline.tls).toMatchObject({ ca: CERT.trim(), key: `${KEY.trim()}\n${CERT.trim()}` })
  })

  it('one-line errors for what cannot be used', async () => {
    const sasl = ['security.protocol=SASL_PLAINTEXT', 'sasl.mechanism=PLAIN']
    expect(await refusal('security.protocol=TLS')).toBe(
      'security.protocol must be one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL, not "TLS"',
    )
    expect(await refusal(sasl.join('\n'))).toMatch(
      /^security\.protocol=SASL_PLAINTEXT needs sasl\.jaas\.config/,
    )
    expect(await refusal(`security.protocol=SASL_SSL\nsasl.jaas.config=${JAAS}`)).toBe(
      "sasl.mechanism GSSAPI (Kafka's default when it is not set) is not supported: use PLAIN, SCRAM-SHA-256, SCRAM-SHA-512",
    )
    expect(
      await refusal([...sasl, 'sasl.jaas.config=x required username="a" password="b";'].join('\n')),
    ).toMatch(/^sasl\.jaas\.config: login module x is not supported/)
    expect(await refusal([...sasl, `sasl.jaas.config=${JAAS.replace(';', '')}`].join('\n'))).toBe(
      'sasl.jaas.config: the login module is not terminated by a semicolon',
    )
    expect(
      await refusal([...sasl, `sasl.jaas.config=${JAAS.replace(' password="alice-secret"', '')}`].join('\n')),
    ).toBe('sasl.jaas.config needs username="…" and password="…"')
    expect(await refusal('security.protocol=SSL\nssl.truststore.location=/etc/kafka/truststore.jks')).toBe(
      "ssl.truststore.type is JKS (Kafka's default): Node cannot read JKS or PKCS12 stores; convert it to PEM and set ssl.truststore.type=PEM",
    )
    expect(
      await refusal('security.protocol=SSL\nssl.keystore.type=PKCS12\nssl.keystore.location=client.p12'),
    ).toMatch(/^ssl\.keystore\.type is PKCS12: Node cannot read JKS or PKCS12 stores/)
    expect(
      await refusal(
        'security.protocol=SSL\nssl.truststore.type=PEM\nssl.truststore.location=/nowhere/ca.pem',
      ),
    ).toBe('ssl.truststore.location /nowhere/ca.pem: no such file')
    expect(
      await refusal(
        'security.protocol=SSL\nssl.truststore.type=PEM\nssl.truststore.password=x\nssl.truststore.location=ca.pem',
      ),
    ).toBe('ssl.truststore.password cannot be given with a PEM truststore')
    expect(await refusal('security.protocol=SSL\nssl.keystore.type=PEM\nssl.keystore.key=abc')).toBe(
      'ssl.keystore.key and ssl.keystore.certificate.chain go together',
    )
    expect(
      await refusal('security.protocol=SSL\nssl.truststore.type=PEM\nssl.truststore.certificates=junk'),
    ).toBe('the trust store holds no PEM certificate (-----BEGIN CERTIFICATE-----)')
    expect(
      await refusal(
        `security.protocol=SSL\nssl.keystore.type=PEM\nssl.keystore.key=-----BEGIN PRIVATE KEY-----\\nAAAA\\n-----END PRIVATE KEY-----\nssl.keystore.certificate.chain=${CERT.replaceAll('\n', '\\n')}`,
      ),
    ).toMatch(/^the PEM stores cannot be used: /)
    expect(await refusal('security.protocol=SSL\nssl.endpoint.identification.algorithm=ldap')).toBe(
      'ssl.endpoint.identification.algorithm must be https or empty, not "ldap"',
    )
    expect(await refusal('security.protocol=SSL\nssl.enabled.protocols=SSLv3')).toBe(
      'ssl.enabled.protocols: SSLv3 is not one of TLSv1, TLSv1.1, TLSv1.2, TLSv1.3',
    )
    expect(await refusal('request.timeout.ms=soon')).toBe(
      'request.timeout.ms must be a whole number of milliseconds ≥ 1, not "soon"',
    )
    expect(await refusal('client.id=\\u00zz')).toBe('line 1: malformed \\uxxxx escape')
  })

  it('a file that cannot be read is a one-line usage error too', async () => {
    const missing = join(scratch(), 'missing.properties')
    await expect(loadClientSettings(missing, 'consumer.config')).rejects.toThrow(
      new UsageError(`--consumer.config ${missing}: no such file`),
    )
    await expect(loadClientSettings(scratch(), 'command-config')).rejects.toThrow(/: is a directory$/)
  })
})
