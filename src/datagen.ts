/**
 * `logbus/datagen`: generated records for demos and tests, the quickstarts of Confluent's
 * kafka-connect-datagen (`users`, `pageviews`, `orders`, `stock_trades`, `clickstream`, `transactions`)
 * as typed, seedable generators, and `runDatagen` to produce them to a topic at a chosen rate.
 *
 * @example
 * ```ts
 * import { Bus } from 'logbus'
 * import { datagen, quickstarts, runDatagen } from 'logbus/datagen'
 *
 * const [first] = datagen({ quickstart: 'users', seed: 42, iterations: 1 })
 * const bus = await Bus.open()
 * const pageviews = await bus.createTopic('pageviews', { value: quickstarts.pageviews.codec })
 * await runDatagen(bus, { quickstart: 'pageviews', topic: pageviews, seed: 42, iterations: 100 })
 * ```
 */
export { type Field, fields, type GenerationContext, type IterationSpec } from './datagen/fields'
export {
  type Clickstream,
  defineQuickstart,
  type Order,
  type Pageview,
  type Quickstart,
  type QuickstartName,
  type QuickstartValue,
  quickstartNamed,
  quickstarts,
  type StockTrade,
  type Transaction,
  type User,
} from './datagen/quickstarts'
export { type RandomState, type Seed, SeededRandom } from './datagen/random'
export { compileRegex, OPEN_REPEAT_LIMIT, type RegexGenerator } from './datagen/regex'
export {
  type DatagenProgress,
  type DatagenSummary,
  type RunDatagenOptions,
  runDatagen,
} from './datagen/run'
export {
  Datagen,
  type DatagenOptions,
  type DatagenRecord,
  type DatagenState,
  datagen,
} from './datagen/stream'
