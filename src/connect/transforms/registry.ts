import { type ConfigReader, type ConnectorConfig, configReader } from '../config'
import type { ConnectRecord } from '../record'
import { extractField, hoistField } from './extract-field'
import { filter, hasHeaderKey, recordIsTombstone, topicNameMatches } from './filter'
import { insertField } from './insert-field'
import { maskField } from './mask-field'
import { replaceField } from './replace-field'
import { regexRouter, timestampRouter } from './routers'
import type { Predicate, PredicateFactory, Transformation, TransformationFactory } from './transform'
import { valueToKey } from './value-to-key'

const TRANSFORMS_PACKAGE = 'org.apache.kafka.connect.transforms.'
const PREDICATES_PACKAGE = 'org.apache.kafka.connect.transforms.predicates.'

/**
 * The built-in transformations, by Kafka's class names without the package.
 *
 * @example
 * ```ts
 * Object.keys(BUILT_IN_TRANSFORMS) // ['InsertField$Key', 'InsertField$Value', …, 'Filter']
 * ```
 */
export const BUILT_IN_TRANSFORMS: Readonly<Record<string, TransformationFactory>> = {
  InsertField$Key: insertField('key'),
  InsertField$Value: insertField('value'),
  ReplaceField$Key: replaceField('key'),
  ReplaceField$Value: replaceField('value'),
  MaskField$Key: maskField('key'),
  MaskField$Value: maskField('value'),
  ValueToKey: valueToKey,
  ExtractField$Key: extractField('key'),
  ExtractField$Value: extractField('value'),
  HoistField$Key: hoistField('key'),
  HoistField$Value: hoistField('value'),
  TimestampRouter: timestampRouter,
  RegexRouter: regexRouter,
  Filter: filter,
}

/**
 * The built-in predicates, by Kafka's class names without the package.
 *
 * @example
 * ```ts
 * Object.keys(BUILT_IN_PREDICATES) // ['TopicNameMatches', 'HasHeaderKey', 'RecordIsTombstone']
 * ```
 */
export const BUILT_IN_PREDICATES: Readonly<Record<string, PredicateFactory>> = {
  TopicNameMatches: topicNameMatches,
  HasHeaderKey: hasHeaderKey,
  RecordIsTombstone: recordIsTombstone,
}

/** One configured step of a chain: the transform, and the predicate that gates it. */
interface Step {
  alias: string
  type: string
  transform: Transformation
  predicate: Predicate | undefined
  negate: boolean
}

/**
 * A connector's transformations in order (`transforms=a,b`), each gated by its predicate.
 * `apply` returns the transformed record, or null when one of them dropped it; `failingStep` names the
 * class of the step that threw (for the `__connect.errors.class.name` header).
 */
export class TransformChain {
  readonly #steps: readonly Step[]
  #current = ''

  constructor(steps: readonly Step[]) {
    this.#steps = steps
  }

  get size(): number {
    return this.#steps.length
  }

  /** The class of the step that ran last (the failing one after a throw). */
  get currentStep(): string {
    return this.#current
  }

  apply<R extends ConnectRecord>(record: R): R | null {
    let current: R | null = record
    for (const step of this.#steps) {
      this.#current = step.type
      if (step.predicate !== undefined && step.predicate.test(current) === step.negate) continue
      current = step.transform.apply(current)
      if (current === null) return null
    }
    return current
  }
}

function lookup<T>(
  name: string,
  packageName: string,
  builtIns: Readonly<Record<string, T>>,
  custom: Readonly<Record<string, T>>,
): T | undefined {
  if (Object.hasOwn(custom, name)) return custom[name]
  const short = name.startsWith(packageName) ? name.slice(packageName.length) : name
  return Object.hasOwn(builtIns, short) ? builtIns[short] : undefined
}

/**
 * Builds the transform chain of a connector configuration (`transforms`, `transforms.<alias>.type`,
 * `.predicate`, `.negate`, `predicates`, `predicates.<alias>.type`), as Kafka validates it: unknown
 * types, a predicate that is not defined, and `negate` without a predicate are InvalidConfigErrors.
 */
export function buildTransformChain(
  read: ConfigReader,
  where: string,
  customTransforms: Readonly<Record<string, TransformationFactory>> = {},
  customPredicates: Readonly<Record<string, PredicateFactory>> = {},
): TransformChain {
  const predicates = new Map<string, Predicate>()
  for (const alias of read.list('predicates')) {
    const sub: ConnectorConfig = read.sub(`predicates.${alias}`)
    const type = sub.type?.trim()
    if (type === undefined || type === '') read.fail(`predicates.${alias}.type`, 'is required')
    const factory = lookup(type, PREDICATES_PACKAGE, BUILT_IN_PREDICATES, customPredicates)
    if (factory === undefined) read.fail(`predicates.${alias}.type`, `unknown predicate "${type}"`)
    predicates.set(alias, factory(configReader(sub, `${where}.predicates.${alias}`)))
  }
  const steps: Step[] = []
  for (const alias of read.list('transforms')) {
    const sub = read.sub(`transforms.${alias}`)
    const type = sub.type?.trim()
    if (type === undefined || type === '') read.fail(`transforms.${alias}.type`, 'is required')
    const factory = lookup(type, TRANSFORMS_PACKAGE, BUILT_IN_TRANSFORMS, customTransforms)
    if (factory === undefined) read.fail(`transforms.${alias}.type`, `unknown transformation "${type}"`)
    const stepRead = configReader(sub, `${where}.transforms.${alias}`)
    const predicateAlias = stepRead.optionalString('predicate')
    const negate = stepRead.bool('negate', false)
    let predicate: Predicate | undefined
    if (predicateAlias !== undefined) {
      predicate = predicates.get(predicateAlias)
      if (predicate === undefined) {
        read.fail(
          `transforms.${alias}.predicate`,
          `names predicate "${predicateAlias}", which is not in predicates`,
        )
      }
    } else if (sub.negate !== undefined) {
      read.fail(`transforms.${alias}.negate`, 'needs a predicate')
    }
    steps.push({ alias, type, transform: factory(stepRead), predicate, negate })
  }
  return new TransformChain(steps)
}
