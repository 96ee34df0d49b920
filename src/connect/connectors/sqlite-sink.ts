import {
  type CommittedOffset,
  InvalidConfigError,
  InvalidRecordError,
  type TopicPartition,
} from '../../index'
import type { ConfigReader } from '../config'
import { isMap, type SinkRecord, typeName } from '../record'
import type { SinkConnectorPlugin, SinkTask, SinkTaskContext } from '../task'
import { loadSqlite, quoteIdentifier as q, type SqliteDatabase, type SqliteStatement } from './sqlite'

type PkMode = 'none' | 'kafka' | 'record_key' | 'record_value'
type SqlValue = string | number | bigint | Buffer | null

interface SqliteSinkConfig {
  path: string
  tableFormat: string
  insertMode: 'insert' | 'upsert'
  pkMode: PkMode
  pkFields: string[]
  autoCreate: boolean
  autoEvolve: boolean
  deleteEnabled: boolean
  fieldsWhitelist: Set<string>
  offsetsTable: string
}

/** The Kafka coordinates columns of `pk.mode=kafka`, as Confluent's JDBC sink names them. */
const KAFKA_PK = ['__connect_topic', '__connect_partition', '__connect_offset']
/** The column of a primitive key with `pk.mode=record_key` and no `pk.fields`. */
const DEFAULT_KEY_COLUMN = '__connect_key'

function readSqliteConfig(read: ConfigReader): SqliteSinkConfig {
  const url = read.string('connection.url')
  const path = url.replace(/^jdbc:sqlite:/, '').replace(/^sqlite:/, '')
  if (path === '') read.fail('connection.url', 'names no database file')
  const pkMode = read.choice('pk.mode', ['none', 'kafka', 'record_key', 'record_value'] as const, 'none')
  const insertMode = read.choice('insert.mode', ['insert', 'upsert'] as const, 'insert')
  const pkFields = read.list('pk.fields')
  const deleteEnabled = read.bool('delete.enabled', false)
  if (insertMode === 'upsert' && pkMode === 'none')
    read.fail('insert.mode', 'upsert needs a pk.mode other than none')
  if (pkMode === 'record_value' && pkFields.length === 0)
    read.fail('pk.fields', 'pk.mode=record_value needs the key fields')
  if (deleteEnabled && pkMode !== 'record_key') read.fail('delete.enabled', 'needs pk.mode=record_key')
  return {
    path,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Kafka's placeholder syntax, not a template
    tableFormat: read.string('table.name.format', '${topic}'),
    insertMode,
    pkMode,
    pkFields,
    autoCreate: read.bool('auto.create', false),
    autoEvolve: read.bool('auto.evolve', false),
    deleteEnabled,
    fieldsWhitelist: new Set(read.list('fields.whitelist')),
    offsetsTable: read.string('offsets.table.name', '__connect_offsets'),
  }
}

/** A value as SQLite stores it: booleans as 0/1, objects and arrays as JSON text. */
function sqlValue(value: unknown): SqlValue {
  if (value === null || value === undefined) return null
  if (typeof value === 'boolean') return value ? 1 : 0
  if (
    typeof value === 'number' ||
    typeof value === 'string' ||
    typeof value === 'bigint' ||
    Buffer.isBuffer(value)
  ) {
    return value
  }
  if (value instanceof Date) return value.toISOString()
  return JSON.stringify(value)
}

/** The declared type of a new column, from its first value (none for null: any value fits). */
function sqlType(value: SqlValue): string {
  if (typeof value === 'number') return Number.isInteger(value) ? ' INTEGER' : ' REAL'
  if (typeof value === 'bigint') return ' INTEGER'
  if (typeof value === 'string') return ' TEXT'
  if (Buffer.isBuffer(value)) return ' BLOB'
  return ''
}

interface Row {
  table: string
  /** Column → value, primary key columns first. */
  columns: Map<string, SqlValue>
  pk: string[]
  /** A tombstone with delete.enabled: delete the row of this key. */
  delete: boolean
}

/**
 * Upserts (or inserts) record values as rows of SQLite tables through better-sqlite3, in the manner of
 * Confluent's JDBC sink, and stores the next offset of every partition in the same transaction as the
 * rows (table `offsets.table.name`). `open` seeks to the stored offsets and `put` skips anything below
 * them, so each record's effect is in the database exactly once, across crashes and rebalances.
 */
class SqliteSinkTask implements SinkTask {
  #context!: SinkTaskContext
  #config!: SqliteSinkConfig
  #db!: SqliteDatabase
  #connector = ''
  readonly #next = new Map<string, number>()
  readonly #columns = new Map<string, Set<string>>()
  readonly #statements = new Map<string, SqliteStatement>()
  #saveOffset!: SqliteStatement
  #loadOffsets!: SqliteStatement

  async start(context: SinkTaskContext): Promise<void> {
    this.#context = context
    this.#connector = context.connector
    this.#config = readSqliteConfig(context.read)
    const Database = await loadSqlite()
    this.#db = new Database(this.#config.path, { timeout: 5000 })
    // WAL: readers never block the sink; a committed transaction survives a process crash.
    this.#db.pragma('journal_mode = WAL')
    const offsets = q(this.#config.offsetsTable)
    this.#db.exec(
      `CREATE TABLE IF NOT EXISTS ${offsets} (connector TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL, PRIMARY KEY (connector, topic, partition))`,
    )
    this.#saveOffset = this.#db.prepare(
      `INSERT INTO ${offsets} (connector, topic, partition, next_offset) VALUES (?, ?, ?, ?) ON CONFLICT (connector, topic, partition) DO UPDATE SET next_offset = excluded.next_offset`,
    )
    this.#loadOffsets = this.#db.prepare(
      `SELECT topic, partition, next_offset FROM ${offsets} WHERE connector = ?`,
    )
  }

  open(partitions: TopicPartition[]): void {
    const stored = this.#loadOffsets.all(this.#connector) as {
      topic: string
      partition: number
      next_offset: number
    }[]
    const seeks: CommittedOffset[] = []
    for (const tp of partitions) {
      const row = stored.find((s) => s.topic === tp.topic && s.partition === tp.partition)
      if (row === undefined) continue
      this.#next.set(`${tp.partition}:${tp.topic}`, row.next_offset)
      seeks.push({ topic: tp.topic, partition: tp.partition, offset: row.next_offset })
    }
    // The database, not the group, says where to resume: it holds the offsets of what it holds.
    if (seeks.length > 0) this.#context.offset(seeks)
  }

  async put(records: SinkRecord[]): Promise<void> {
    const fresh = records.filter((r) => r.offset >= (this.#next.get(`${r.partition}:${r.topic}`) ?? 0))
    const rows: { record: SinkRecord; row: Row | null }[] = []
    for (const record of fresh) {
      try {
        rows.push({ record, row: this.#row(record) })
      } catch (error) {
        await this.#context.errantRecordReporter.report(record, error)
        rows.push({ record, row: null })
      }
    }
    if (rows.length === 0) return
    try {
      this.#db.transaction(() => this.#apply(rows))()
    } catch {
      // One record broke the batch (a constraint, a missing table): find it, one transaction per record.
      for (const entry of rows) {
        try {
          this.#db.transaction(() => this.#apply([entry]))()
        } catch (error) {
          await this.#context.errantRecordReporter.report(entry.record, error)
          this.#db.transaction(() => this.#apply([{ record: entry.record, row: null }]))()
        }
      }
    }
  }

  preCommit(offsets: CommittedOffset[]): CommittedOffset[] {
    // Everything put is committed in the database already; the group's offsets only follow it.
    return offsets
  }

  close(partitions: TopicPartition[]): void {
    for (const tp of partitions) this.#next.delete(`${tp.partition}:${tp.topic}`)
  }

  stop(): void {
    this.#db?.close()
  }

  /** Writes rows and the partitions' next offsets; runs inside a transaction. */
  #apply(entries: readonly { record: SinkRecord; row: Row | null }[]): void {
    const touched = new Map<string, { topic: string; partition: number; next: number }>()
    for (const { record, row } of entries) {
      if (row !== null) this.#write(row)
      touched.set(`${record.partition}:${record.topic}`, {
        topic: record.topic,
        partition: record.partition,
        next: record.offset + 1,
      })
    }
    for (const [key, { topic, partition, next }] of touched) {
      this.#saveOffset.run(this.#connector, topic, partition, next)
      this.#next.set(key, next)
    }
  }

  #write(row: Row): void {
    const columns = [...row.columns.keys()]
    if (row.delete) {
      const where = row.pk.map((c) => `${q(c)} = ?`).join(' AND ')
      this.#statement(`DELETE FROM ${q(row.table)} WHERE ${where}`).run(
        ...row.pk.map((c) => row.columns.get(c)),
      )
      return
    }
    this.#ensureTable(row)
    const insert = `INSERT INTO ${q(row.table)} (${columns.map(q).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`
    let sql = insert
    if (this.#config.insertMode === 'upsert') {
      const updates = columns.filter((c) => !row.pk.includes(c)).map((c) => `${q(c)} = excluded.${q(c)}`)
      sql += ` ON CONFLICT (${row.pk.map(q).join(', ')}) DO ${updates.length === 0 ? 'NOTHING' : `UPDATE SET ${updates.join(', ')}`}`
    }
    this.#statement(sql).run(...row.columns.values())
  }

  #statement(sql: string): SqliteStatement {
    let statement = this.#statements.get(sql)
    if (statement === undefined) {
      statement = this.#db.prepare(sql)
      this.#statements.set(sql, statement)
    }
    return statement
  }

  /** Creates the table (auto.create) or adds missing columns (auto.evolve); fails when neither may. */
  #ensureTable(row: Row): void {
    let known = this.#columns.get(row.table)
    if (known === undefined) {
      const info = this.#db.prepare(`PRAGMA table_info(${q(row.table)})`).all() as { name: string }[]
      if (info.length > 0) known = new Set(info.map((c) => c.name))
      else {
        if (!this.#config.autoCreate) {
          throw new InvalidConfigError(
            'table',
            `table "${row.table}" does not exist and auto.create is false`,
          )
        }
        const defs = [...row.columns].map(([c, v]) => `${q(c)}${sqlType(v)}`)
        if (row.pk.length > 0) defs.push(`PRIMARY KEY (${row.pk.map(q).join(', ')})`)
        this.#db.exec(`CREATE TABLE IF NOT EXISTS ${q(row.table)} (${defs.join(', ')})`)
        known = new Set(row.columns.keys())
      }
      this.#columns.set(row.table, known)
    }
    for (const [column, value] of row.columns) {
      if (known.has(column)) continue
      if (!this.#config.autoEvolve) {
        throw new InvalidRecordError(
          `table "${row.table}" has no column "${column}" and auto.evolve is false`,
        )
      }
      this.#db.exec(`ALTER TABLE ${q(row.table)} ADD COLUMN ${q(column)}${sqlType(value)}`)
      known.add(column)
    }
  }

  /** The row a record writes, per pk.mode and fields.whitelist; throws for a record that has none. */
  #row(record: SinkRecord): Row | null {
    const config = this.#config
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Kafka's placeholder syntax, not a template
    const table = config.tableFormat.replaceAll('${topic}', record.topic)
    const columns = new Map<string, SqlValue>()
    let pk: string[] = []
    const value = record.value
    if (value === null || value === undefined) {
      if (!config.deleteEnabled) return null // a tombstone without delete.enabled changes nothing
    } else if (!isMap(value)) {
      throw new InvalidRecordError(
        `The SQLite sink writes values that are objects (a row), found: ${typeName(value)}`,
      )
    }
    switch (config.pkMode) {
      case 'kafka':
        pk = KAFKA_PK
        columns.set(KAFKA_PK[0]!, record.topic)
        columns.set(KAFKA_PK[1]!, record.partition)
        columns.set(KAFKA_PK[2]!, record.offset)
        break
      case 'record_key': {
        const key = record.key
        if (key === null || key === undefined) throw new InvalidRecordError('pk.mode=record_key needs a key')
        if (isMap(key)) {
          pk = config.pkFields.length > 0 ? config.pkFields : Object.keys(key)
          for (const field of pk) {
            if (!Object.hasOwn(key, field)) throw new InvalidRecordError(`the key has no field "${field}"`)
            columns.set(field, sqlValue(key[field]))
          }
        } else {
          pk = [config.pkFields[0] ?? DEFAULT_KEY_COLUMN]
          columns.set(pk[0]!, sqlValue(key))
        }
        break
      }
      case 'record_value':
        pk = config.pkFields
        for (const field of pk) {
          if (!isMap(value) || !Object.hasOwn(value, field))
            throw new InvalidRecordError(`the value has no field "${field}"`)
          columns.set(field, sqlValue(value[field]))
        }
        break
      case 'none':
        break
    }
    if (value === null || value === undefined) return { table, columns, pk, delete: true }
    for (const [field, v] of Object.entries(value as Record<string, unknown>)) {
      if (config.fieldsWhitelist.size > 0 && !config.fieldsWhitelist.has(field)) continue
      if (!columns.has(field)) columns.set(field, sqlValue(v))
    }
    return { table, columns, pk, delete: false }
  }
}

/**
 * A SQLite sink connector (`connector.class` `SqliteSink`) with the properties of Confluent's JDBC
 * sink: `connection.url` (`jdbc:sqlite:<file>`, or the file), `table.name.format` (default `${topic}`),
 * `insert.mode` (insert, upsert), `pk.mode` (none, kafka, record_key, record_value), `pk.fields`,
 * `auto.create`, `auto.evolve`, `delete.enabled` (a tombstone deletes its key's row), `fields.whitelist`,
 * and `offsets.table.name` (default `__connect_offsets`). Needs better-sqlite3 (an optional peer
 * dependency). Delivery: exactly-once — the consumed offsets are stored in the same SQLite transaction
 * as the rows, and a restart resumes from them.
 *
 * @example
 * ```ts
 * await worker.createConnector({
 *   name: 'db',
 *   config: { 'connector.class': 'SqliteSink', topics: 'users', 'connection.url': 'jdbc:sqlite:users.db', 'auto.create': true },
 * })
 * ```
 */
export const sqliteSink = Object.freeze<SinkConnectorPlugin>({
  type: 'sink',
  delivery: 'exactly-once',
  validate: (read) => void readSqliteConfig(read),
  taskConfigs: (config, maxTasks) => Array.from({ length: maxTasks }, () => config),
  createTask: () => new SqliteSinkTask(),
})
