import type { TopologyBuilder } from '../topology/builder'
import type { TableNode, TableRow } from '../topology/node'
import type { WindowedTableNode } from '../topology/window-aggregate'

/** Queries of the tables this instance holds, answered by the running application. */
export interface TableQueries {
  get(node: TableNode, key: unknown): TableRow | undefined
  rows(node: TableNode): TableRow[]
  fetch(node: WindowedTableNode, key: unknown, from: number, to: number): TableRow[]
  fetchAll(node: WindowedTableNode, from: number, to: number): TableRow[]
}

/** What every DSL object holds: the builder it adds to, and the application that answers queries. */
export interface DslContext {
  readonly builder: TopologyBuilder
  readonly queries: TableQueries
}
