import { LogbusError } from '../../index'

/** The part of better-sqlite3's Statement the SQLite sink uses. */
export interface SqliteStatement {
  run(...params: unknown[]): unknown
  all(...params: unknown[]): unknown[]
}

/** The part of better-sqlite3's Database the SQLite sink uses. */
export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement
  exec(sql: string): unknown
  pragma(source: string): unknown
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R
  close(): unknown
}

export type SqliteDatabaseConstructor = new (path: string, options?: { timeout?: number }) => SqliteDatabase

let loaded: Promise<SqliteDatabaseConstructor> | undefined

/**
 * Loads better-sqlite3, an optional peer dependency, on first use: logbus works without it, and only
 * the SQLite sink needs it. Fails with a LogbusError that says how to install it.
 */
export function loadSqlite(): Promise<SqliteDatabaseConstructor> {
  // A name in a variable: bundlers leave the import alone, and TypeScript needs no types for it.
  const name = 'better-sqlite3'
  loaded ??= import(name).then(
    (module: { default?: SqliteDatabaseConstructor }) =>
      (module.default ?? module) as SqliteDatabaseConstructor,
    (cause: unknown) => {
      loaded = undefined
      throw new LogbusError(
        'INVALID_CONFIG',
        'The SQLite sink needs the better-sqlite3 package, an optional peer dependency of logbus: npm install better-sqlite3',
        { cause },
      )
    },
  )
  return loaded
}

/** An identifier quoted for SQL ("name", with inner quotes doubled). */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}
