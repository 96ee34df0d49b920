import { readFile } from 'node:fs/promises'
import type { KafkaClientOptions, SaslCredentials, SaslMechanism, TlsSettings } from '../../../wire'
import { UsageError } from '../../cli-error'
import { JaasSyntaxError, parseJaasConfig } from './jaas-config'
import { PropertiesSyntaxError, parseProperties, propertiesText } from './java-properties'

/** What a client properties file sets of `KafkaClient`'s options. */
export type ClientSettings = Omit<KafkaClientOptions, 'bootstrapServers'>

const PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const
const MECHANISMS: readonly string[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] satisfies SaslMechanism[]
const LOGIN_MODULES = new Set([
  'org.apache.kafka.common.security.plain.PlainLoginModule',
  'org.apache.kafka.common.security.scram.ScramLoginModule',
])
const TLS_VERSIONS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const

/** A setting of the file that cannot be used: a one-line usage error naming the flag, file and key. */
class ConfigProblem extends Error {}

/**
 * Reads a Kafka client properties file (`--command-config`, `--producer.config`, `--consumer.config`)
 * into the client's options, as Kafka's clients read theirs: `security.protocol` (PLAINTEXT, SSL,
 * SASL_PLAINTEXT, SASL_SSL), `sasl.mechanism` (Kafka's default GSSAPI is refused: logbus speaks PLAIN
 * and SCRAM), `sasl.jaas.config` (PlainLoginModule or ScramLoginModule with username and password),
 * PEM trust and key stores (`ssl.truststore.*`, `ssl.keystore.*`, `ssl.key.password`),
 * `ssl.endpoint.identification.algorithm` (empty: no host-name check), `ssl.enabled.protocols`,
 * `client.id`, `request.timeout.ms` and `socket.connection.setup.timeout.ms`; keys for settings logbus
 * does not have are ignored, as Kafka ignores keys a client does not use. Anything it cannot use is a
 * `UsageError` (exit code 2) of one line, before anything is connected.
 */
export async function loadClientSettings(file: string, flag: string): Promise<ClientSettings> {
  const where = `--${flag} ${file}`
  try {
    const properties = parseProperties(propertiesText(await readFile(file)))
    return await clientSettings(properties, (path) => readFile(path))
  } catch (error) {
    if (error instanceof ConfigProblem || error instanceof PropertiesSyntaxError) {
      throw new UsageError(`${where}: ${error.message}`)
    }
    if ((error as NodeJS.ErrnoException).code !== undefined) {
      throw new UsageError(`${where}: ${readError(error as NodeJS.ErrnoException)}`)
    }
    throw error
  }
}

/** The client options of parsed properties; `read` loads the files they name. */
export async function clientSettings(
  properties: ReadonlyMap<string, string>,
  read: (path: string) => Promise<Buffer>,
): Promise<ClientSettings> {
  // Kafka trims every value of these (ConfigDef), passwords and PEM text included.
  const get = (key: string): string | undefined => properties.get(key)?.trim()
  const settings: ClientSettings = {}
  const clientId = get('client.id')
  if (clientId !== undefined && clientId !== '') settings.clientId = clientId
  const requestTimeoutMs = milliseconds(get, 'request.timeout.ms')
  if (requestTimeoutMs !== undefined) settings.requestTimeoutMs = requestTimeoutMs
  const connectTimeoutMs = milliseconds(get, 'socket.connection.setup.timeout.ms')
  if (connectTimeoutMs !== undefined) settings.connectTimeoutMs = connectTimeoutMs

  const protocol = (get('security.protocol') ?? 'PLAINTEXT').toUpperCase()
  if (!(PROTOCOLS as readonly string[]).includes(protocol)) {
    throw new ConfigProblem(
      `security.protocol must be one of ${PROTOCOLS.join(', ')}, not "${get('security.protocol')}"`,
    )
  }
  if (protocol === 'SSL' || protocol === 'SASL_SSL') settings.tls = await tlsSettings(get, read)
  if (protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL') settings.sasl = saslCredentials(get, protocol)
  return settings
}

function milliseconds(get: (key: string) => string | undefined, key: string): number | undefined {
  const text = get(key)
  if (text === undefined) return undefined
  const value = Number(text)
  if (!/^\d+$/.test(text) || value < 1 || value > 0x7fffffff) {
    throw new ConfigProblem(`${key} must be a whole number of milliseconds ≥ 1, not "${text}"`)
  }
  return value
}

function saslCredentials(get: (key: string) => string | undefined, protocol: string): SaslCredentials {
  const given = get('sasl.mechanism')
  const mechanism = given ?? 'GSSAPI'
  if (!MECHANISMS.includes(mechanism)) {
    throw new ConfigProblem(
      `sasl.mechanism ${mechanism}${given === undefined ? " (Kafka's default when it is not set)" : ''} is not supported: use ${MECHANISMS.join(', ')}`,
    )
  }
  const jaas = get('sasl.jaas.config')
  if (jaas === undefined || jaas === '') {
    throw new ConfigProblem(
      `security.protocol=${protocol} needs sasl.jaas.config (a PlainLoginModule or ScramLoginModule with username and password)`,
    )
  }
  let modules: ReturnType<typeof parseJaasConfig>
  try {
    modules = parseJaasConfig(jaas)
  } catch (error) {
    if (error instanceof JaasSyntaxError) throw new ConfigProblem(`sasl.jaas.config: ${error.message}`)
    throw error
  }
  if (modules.length !== 1) {
    throw new ConfigProblem(`sasl.jaas.config holds ${modules.length} login modules, not 1`)
  }
  const [{ loginModule, options }] = modules as [(typeof modules)[number]]
  if (!LOGIN_MODULES.has(loginModule)) {
    throw new ConfigProblem(
      `sasl.jaas.config: login module ${loginModule} is not supported: use ${[...LOGIN_MODULES].join(' or ')}`,
    )
  }
  if (options.get('tokenauth')?.toLowerCase() === 'true') {
    throw new ConfigProblem('sasl.jaas.config: delegation tokens (tokenauth=true) are not supported')
  }
  const username = options.get('username')
  const password = options.get('password')
  if (username === undefined || username === '' || password === undefined) {
    throw new ConfigProblem('sasl.jaas.config needs username="…" and password="…"')
  }
  return { mechanism: mechanism as SaslMechanism, username, password }
}

async function tlsSettings(
  get: (key: string) => string | undefined,
  read: (path: string) => Promise<Buffer>,
): Promise<TlsSettings> {
  const settings: TlsSettings = {}
  const ca = await pemStore(get, read, 'truststore')
  if (ca !== undefined) {
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
      throw new ConfigProblem('the trust store holds no PEM certificate (-----BEGIN CERTIFICATE-----)')
    }
    settings.ca = ca
  }
  const keystore = await pemStore(get, read, 'keystore')
  if (keystore !== undefined) {
    if (!/-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/.test(keystore)) {
      throw new ConfigProblem('the key store holds no PEM private key')
    }
    if (!keystore.includes('-----BEGIN CERTIFICATE-----')) {
      throw new ConfigProblem('the key store holds no PEM certificate chain')
    }
    // Node picks the key out of the PEM text for `key`, and the certificates for `cert`.
    settings.key = keystore
    settings.cert = keystore
    const passphrase = get('ssl.key.password')
    if (passphrase !== undefined) settings.passphrase = passphrase
  }
  if (ca !== undefined || keystore !== undefined) {
    // Node's verdict on the PEM text now, rather than at the first connection.
    const { createSecureContext } = await import('node:tls')
    try {
      createSecureContext(settings)
    } catch (error) {
      throw new ConfigProblem(`the PEM stores cannot be used: ${(error as Error).message}`)
    }
  }
  const identification = get('ssl.endpoint.identification.algorithm') ?? 'https'
  if (identification === '') settings.checkServerIdentity = () => undefined
  else if (identification.toLowerCase() !== 'https') {
    throw new ConfigProblem(
      `ssl.endpoint.identification.algorithm must be https or empty, not "${identification}"`,
    )
  }
  const enabled = get('ssl.enabled.protocols')
  if (enabled !== undefined && enabled !== '') {
    const versions = enabled.split(',').map((v) => v.trim())
    const known = versions.map((v) => (TLS_VERSIONS as readonly string[]).indexOf(v))
    const unknown = versions.find((_, i) => known[i]! < 0)
    if (unknown !== undefined) {
      throw new ConfigProblem(`ssl.enabled.protocols: ${unknown} is not one of ${TLS_VERSIONS.join(', ')}`)
    }
    settings.minVersion = TLS_VERSIONS[Math.min(...known)]
    settings.maxVersion = TLS_VERSIONS[Math.max(...known)]
  }
  return settings
}

/**
 * The PEM text of a trust or key store: from its file (`ssl.<store>.location`) or inline
 * (`ssl.truststore.certificates`, `ssl.keystore.key` with `ssl.keystore.certificate.chain`); undefined
 * when none is set. PEM only, with Kafka's rules for it: the type must say PEM, and PEM stores take no
 * store password (an encrypted key's is `ssl.key.password`).
 */
async function pemStore(
  get: (key: string) => string | undefined,
  read: (path: string) => Promise<Buffer>,
  store: 'truststore' | 'keystore',
): Promise<string | undefined> {
  const location = get(`ssl.${store}.location`)
  const inline =
    store === 'truststore'
      ? [get('ssl.truststore.certificates')]
      : [get('ssl.keystore.key'), get('ssl.keystore.certificate.chain')]
  const given = inline.filter((v) => v !== undefined && v !== '')
  if ((location === undefined || location === '') && given.length === 0) return undefined
  const type = get(`ssl.${store}.type`) ?? 'JKS'
  if (type.toUpperCase() !== 'PEM') {
    throw new ConfigProblem(
      `ssl.${store}.type is ${type}${get(`ssl.${store}.type`) === undefined ? " (Kafka's default)" : ''}: Node cannot read JKS or PKCS12 stores; convert it to PEM and set ssl.${store}.type=PEM`,
    )
  }
  if (get(`ssl.${store}.password`) !== undefined) {
    throw new ConfigProblem(
      `ssl.${store}.password cannot be given with a PEM ${store}${store === 'keystore' ? ' (an encrypted key takes ssl.key.password)' : ''}`,
    )
  }
  if (location !== undefined && location !== '') {
    if (given.length > 0) {
      throw new ConfigProblem(`give ssl.${store}.location or the ${store}'s PEM text inline, not both`)
    }
    try {
      return (await read(location)).toString('utf8')
    } catch (error) {
      throw new ConfigProblem(
        `ssl.${store}.location ${location}: ${readError(error as NodeJS.ErrnoException)}`,
      )
    }
  }
  if (store === 'keystore' && given.length !== 2) {
    throw new ConfigProblem('ssl.keystore.key and ssl.keystore.certificate.chain go together')
  }
  return given.join('\n')
}

function readError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOENT':
      return 'no such file'
    case 'EACCES':
      return 'permission denied'
    case 'EISDIR':
      return 'is a directory'
    default:
      return error.message
  }
}
