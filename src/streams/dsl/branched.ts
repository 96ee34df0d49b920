import { InvalidConfigError, InvalidStateError, type TopicDeclarations } from '../../index'
import { type Forward, FunctionNode, NO_FORWARD, NodeSpec, type TaskContext } from '../topology/node'
import { KStream } from './kstream'
import { checkFunction } from './ops'

type Predicate = (key: unknown, value: unknown) => boolean

/**
 * The router of a split (Kafka's branch processor): its children are the branches in order, and a
 * record goes to the first whose predicate holds (a default branch has none), and to no other.
 */
class SplitNode extends NodeSpec {
  readonly predicates: Array<Predicate | undefined> = []

  instantiate(_ctx: TaskContext, _forward: Forward): Forward {
    return NO_FORWARD
  }

  override processor(_ctx: TaskContext, children: readonly Forward[]): Forward {
    const predicates = this.predicates
    return (key, value, timestamp, headers) => {
      for (let i = 0; i < predicates.length; i++) {
        const predicate = predicates[i]
        if (predicate === undefined || predicate(key, value)) {
          children[i]!(key, value, timestamp, headers, undefined)
          return
        }
      }
    }
  }
}

/**
 * The branches of a `split()` (Kafka's `BranchedKStream`): add branches in order with `branch`, then
 * end with `defaultBranch` or `noDefaultBranch`, which return the branches by name. A record goes to
 * the first branch whose predicate holds; a type guard narrows that branch's value type.
 *
 * @example
 * ```ts
 * const { errors, warnings, rest } = logs
 *   .split()
 *   .branch('errors', (_, line) => line.level === 'error')
 *   .branch('warnings', (_, line) => line.level === 'warn')
 *   .defaultBranch('rest')
 * errors.to('error-logs')
 * ```
 */
export class BranchedKStream<K, V, D extends TopicDeclarations, B extends Record<string, unknown>> {
  readonly #parent: KStream<K, V, D>
  readonly #split: SplitNode
  readonly #branches: Array<{ name: string; node: NodeSpec }> = []
  #done = false

  /** @internal */
  constructor(parent: KStream<K, V, D>, name: string) {
    this.#parent = parent
    this.#split = parent.ctx.builder.add(new SplitNode(name, [parent.node]))
  }

  /**
   * Adds a branch for the records (not taken by an earlier branch) for which `predicate` holds.
   *
   * @example
   * ```ts
   * orders.split().branch('refunds', (_, order) => order.total < 0).noDefaultBranch()
   * ```
   */
  branch<N extends string, V2 extends V>(
    name: N,
    predicate: (key: K, value: V) => value is V2,
  ): BranchedKStream<K, V, D, B & Record<N, KStream<K, V2, D>>>
  branch<N extends string>(
    name: N,
    predicate: (key: K, value: V) => boolean,
  ): BranchedKStream<K, V, D, B & Record<N, KStream<K, V, D>>>
  branch(name: string, predicate: (key: K, value: V) => boolean): unknown {
    checkFunction('branch', predicate)
    this.#add(name, predicate as Predicate)
    return this
  }

  /**
   * Ends the split with a branch for every record no other branch took; returns the branches.
   *
   * @example
   * ```ts
   * const { large, other } = orders.split().branch('large', (_, o) => o.total > 100).defaultBranch('other')
   * ```
   */
  defaultBranch<N extends string = 'default'>(name?: N): B & Record<N, KStream<K, V, D>> {
    this.#add(name ?? 'default', undefined)
    return this.#finish() as B & Record<N, KStream<K, V, D>>
  }

  /**
   * Ends the split; records no branch took are dropped. Returns the branches.
   *
   * @example
   * ```ts
   * const { paid } = orders.split().branch('paid', (_, o) => o.paid).noDefaultBranch()
   * ```
   */
  noDefaultBranch(): B {
    return this.#finish() as B
  }

  #add(name: string, predicate: Predicate | undefined): void {
    if (this.#done) throw new InvalidStateError('This split has ended: start another with split()')
    if (typeof name !== 'string' || name.length === 0 || this.#branches.some((b) => b.name === name)) {
      throw new InvalidConfigError(
        'streams.branch',
        `a branch needs a new, non-empty name, got "${String(name)}"`,
      )
    }
    const builder = this.#parent.ctx.builder
    const node = builder.add(
      new FunctionNode(`${this.#split.name}-${name}`, [this.#split], (forward) => forward),
    )
    this.#split.predicates.push(predicate)
    this.#branches.push({ name, node })
  }

  #finish(): Record<string, KStream<K, V, D>> {
    if (this.#done) throw new InvalidStateError('This split has ended: start another with split()')
    this.#done = true
    const ctx = this.#parent.ctx
    const out: Record<string, KStream<K, V, D>> = {}
    for (const { name, node } of this.#branches) out[name] = new KStream(ctx, node, this.#parent.keyChanged)
    return out
  }
}
