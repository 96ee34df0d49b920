import { InvalidConfigError, InvalidStateError, Topic } from '../../index'
import type { StoreSpec } from '../state/store'
import type { AnyTopic, NodeSpec } from './node'
import { SourceTopic } from './sources'

/**
 * What the DSL builds: the nodes of the processor topology, the topics it reads, the stores it owns,
 * and the names of its internal topics. Fixed once the application starts.
 */
export class TopologyBuilder {
  readonly nodes: NodeSpec[] = []
  readonly stores = new Map<string, StoreSpec>()
  readonly #topics = new Map<string, SourceTopic>()
  #counter = 0
  #sealed = false

  constructor(readonly applicationId: string) {}

  /** A processor or store name as Kafka Streams generates them: `KSTREAM-FILTER-0000000003`. */
  generatedName(prefix: string): string {
    return `${prefix}-${String(this.#counter++).padStart(10, '0')}`
  }

  /** Adds a node built by the DSL. */
  add<N extends NodeSpec>(node: N): N {
    this.assertOpen()
    this.nodes.push(node)
    return node
  }

  /** Registers a store; names are unique within an application (they name the changelog topics). */
  addStore<S extends StoreSpec>(spec: S): S {
    this.assertOpen()
    checkName('store name', spec.name)
    if (this.stores.has(spec.name)) {
      throw new InvalidConfigError('streams.name', `the store name "${spec.name}" is used twice`)
    }
    this.stores.set(spec.name, spec)
    return spec
  }

  /** A user topic read by a source; a topic may be read by one source only, as in Kafka Streams. */
  sourceTopic(topic: string | AnyTopic): SourceTopic {
    this.assertOpen()
    const name = typeof topic === 'string' ? topic : topic.name
    if (typeof topic !== 'string' && !(topic instanceof Topic)) {
      throw new InvalidConfigError('streams.topic', 'expected a topic name or a Topic')
    }
    if (this.#topics.has(name)) {
      throw new InvalidConfigError('streams.topic', `the topic "${name}" is already read by another source`)
    }
    const source = new SourceTopic(name, typeof topic === 'string' ? undefined : topic, undefined)
    this.#topics.set(name, source)
    return source
  }

  /** An internal repartition topic: `<applicationId>-<name>-repartition`. */
  repartitionTopic(name: string, partitions: number | undefined): SourceTopic {
    this.assertOpen()
    checkName('repartition name', name)
    const topic = `${this.applicationId}-${name}-repartition`
    if (this.#topics.has(topic)) {
      throw new InvalidConfigError('streams.name', `the repartition topic "${topic}" is made twice`)
    }
    const source = new SourceTopic(topic, undefined, { partitions })
    this.#topics.set(topic, source)
    return source
  }

  /** The changelog topic of a store. */
  changelogTopic(store: string): string {
    return `${this.applicationId}-${store}-changelog`
  }

  seal(): void {
    this.#sealed = true
  }

  assertOpen(): void {
    if (this.#sealed) {
      throw new InvalidStateError(
        'The topology is fixed once the application has started: build it before start()',
      )
    }
  }
}

/** Names become parts of topic names: Kafka's topic characters. */
function checkName(what: string, name: string): void {
  if (typeof name !== 'string' || !/^[a-zA-Z0-9._-]+$/.test(name)) {
    throw new InvalidConfigError(
      'streams.name',
      `a ${what} may hold only [a-zA-Z0-9._-], got "${String(name)}"`,
    )
  }
}
