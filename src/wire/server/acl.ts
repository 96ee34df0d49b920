/**
 * An operation an ACL rule allows or denies (Kafka's AclOperation, the ones logbus checks).
 *
 * @example
 * ```ts
 * const op: AclOperation = 'write'
 * ```
 */
export type AclOperation = 'read' | 'write' | 'describe' | 'create' | 'delete' | 'alter' | 'all'

/**
 * What a rule is about (Kafka's resource types).
 *
 * @example
 * ```ts
 * const resource: AclResource = 'topic'
 * ```
 */
export type AclResource = 'topic' | 'group' | 'cluster' | 'transactionalId'

/**
 * One ACL rule, as Kafka's `kafka-acls --add` writes them: a principal (`User:alice`, or `*` for
 * everyone), a resource (a name, `*` for all, or a prefix with `patternType: 'prefixed'`), the
 * operations, allow (default) or deny. A deny wins over any allow, as in Kafka; read, write, delete and
 * alter imply describe.
 *
 * @example
 * ```ts
 * const rule: AclRule = { principal: 'User:alice', resource: 'topic', name: 'orders', operations: ['read', 'write'] }
 * ```
 */
export interface AclRule {
  principal: string
  resource: AclResource
  name?: string
  patternType?: 'literal' | 'prefixed'
  operations: AclOperation[]
  permission?: 'allow' | 'deny'
}

/** Kafka's implied operations: describe comes with read, write, delete and alter. */
const IMPLIES_DESCRIBE = new Set<AclOperation>(['read', 'write', 'delete', 'alter'])

/**
 * Decides requests against a rule list. Without rules everything is allowed (Kafka with no
 * authorizer); with rules only what a rule allows is.
 */
export class Authorizer {
  readonly #rules: readonly Required<AclRule>[] | undefined

  constructor(rules: readonly AclRule[] | undefined) {
    this.#rules = rules?.map((rule) => ({
      name: '*',
      patternType: 'literal',
      permission: 'allow',
      ...rule,
    }))
  }

  /** Whether any rule list is in force. */
  get enabled(): boolean {
    return this.#rules !== undefined
  }

  allowed(principal: string, resource: AclResource, name: string, operation: AclOperation): boolean {
    const rules = this.#rules
    if (rules === undefined) return true
    let allow = false
    for (const rule of rules) {
      if (rule.resource !== resource) continue
      if (rule.principal !== '*' && rule.principal !== principal) continue
      if (!matchesName(rule, name)) continue
      if (!grants(rule.operations, operation, rule.permission === 'allow')) continue
      if (rule.permission === 'deny') return false
      allow = true
    }
    return allow
  }
}

function matchesName(rule: Required<AclRule>, name: string): boolean {
  if (rule.name === '*') return true
  return rule.patternType === 'prefixed' ? name.startsWith(rule.name) : name === rule.name
}

/** Implication applies to allow rules only: denying read does not deny describe. */
function grants(operations: readonly AclOperation[], wanted: AclOperation, implied: boolean): boolean {
  for (const op of operations) {
    if (op === 'all' || op === wanted) return true
    if (implied && wanted === 'describe' && IMPLIES_DESCRIBE.has(op)) return true
  }
  return false
}
