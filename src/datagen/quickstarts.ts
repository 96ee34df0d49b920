import * as z from 'zod'
import { type Codec, InvalidConfigError, json } from '../index'
import { type Field, fields } from './fields'

/**
 * A kind of generated record: how to make its values, which field is its key, and the schema and
 * `json()` codec of a topic that holds them. The six quickstarts of Confluent's kafka-connect-datagen are
 * in `quickstarts`; `defineQuickstart` makes your own.
 *
 * @example
 * ```ts
 * const topic = await bus.createTopic('pageviews', { value: quickstarts.pageviews.codec })
 * ```
 */
export interface Quickstart<V extends object> {
  readonly name: string
  /** The value field whose text becomes the record key (Confluent's `schema.keyfield`). */
  readonly keyField: string
  readonly value: Field<V>
  /** A zod schema of the values (what the codec checks at send). */
  readonly schema: z.ZodType<V>
  /** `json(schema)`: the value codec of a topic of these records. */
  readonly codec: Codec<V>
}

/**
 * Defines a quickstart of your own from a record of fields and a zod schema of its values.
 *
 * @example
 * ```ts
 * const sensors = defineQuickstart({
 *   name: 'sensors',
 *   keyField: 'id',
 *   value: fields.record({ id: fields.regex('S[0-9]{3}'), reading: fields.double({ min: 0, max: 1 }) }),
 *   schema: z.object({ id: z.string(), reading: z.number() }),
 * })
 * ```
 */
export function defineQuickstart<V extends object>(definition: {
  name: string
  keyField: keyof V & string
  value: Field<V>
  schema: z.ZodType<V>
}): Quickstart<V> {
  if (typeof definition.name !== 'string' || definition.name === '') {
    throw new InvalidConfigError('quickstart.name', 'must be a non-empty string')
  }
  return Object.freeze({ ...definition, codec: json(definition.schema) as Codec<V> })
}

/** Confluent's range for registration and order times: 2017-02-21 to 2018-02-22, in milliseconds. */
const TIME_2017 = { min: 1487715775521, max: 1519273364600 }

/**
 * A user of the `users` quickstart. `userid` is `User_1` to `User_9`, the same ids `pageviews` uses, so
 * the two streams join on it.
 *
 * @example
 * ```ts
 * const user: User = { registertime: 1500000000000, userid: 'User_3', regionid: 'Region_5', gender: 'FEMALE' }
 * ```
 */
export interface User {
  registertime: number
  userid: string
  regionid: string
  gender: 'MALE' | 'FEMALE' | 'OTHER'
}

/**
 * A page view of the `pageviews` quickstart.
 *
 * @example
 * ```ts
 * const view: Pageview = { viewtime: 11, userid: 'User_3', pageid: 'Page_42' }
 * ```
 */
export interface Pageview {
  viewtime: number
  userid: string
  pageid: string
}

/**
 * An order of the `orders` quickstart.
 *
 * @example
 * ```ts
 * const order: Order = {
 *   ordertime: 1500000000000, orderid: 0, itemid: 'Item_12', orderunits: 2.5,
 *   address: { city: 'City_4', state: 'State_77', zipcode: 12345 },
 * }
 * ```
 */
export interface Order {
  ordertime: number
  orderid: number
  itemid: string
  orderunits: number
  address: { city: string; state: string; zipcode: number }
}

/**
 * A trade of the `stock_trades` quickstart (`price` in pennies).
 *
 * @example
 * ```ts
 * const trade: StockTrade = { side: 'BUY', quantity: 10, symbol: 'ZVV', price: 420, account: 'ABC123', userid: 'User_2' }
 * ```
 */
export interface StockTrade {
  side: 'BUY' | 'SELL' | 'SHORT'
  quantity: number
  symbol: string
  price: number
  account: string
  userid: string
}

/**
 * A web server hit of the `clickstream` quickstart (an access log line as fields).
 *
 * @example
 * ```ts
 * const hit: Clickstream = {
 *   ip: '111.152.45.45', userid: 12, remote_user: '-', time: '01/Jan/1970:00:00:00 +0000', _time: 1,
 *   request: 'GET /index.html HTTP/1.1', status: '200', bytes: '278', referrer: '-', agent: 'Mozilla/5.0',
 * }
 * ```
 */
export interface Clickstream {
  ip: string
  userid: number
  remote_user: string
  time: string
  _time: number
  request: string
  status: string
  bytes: string
  referrer: string
  agent: string
}

/**
 * A card transaction of the `transactions` quickstart.
 *
 * @example
 * ```ts
 * const t: Transaction = { transaction_id: 1, card_id: 7, user_id: 'User_5', purchase_id: 0, store_id: 3 }
 * ```
 */
export interface Transaction {
  transaction_id: number
  card_id: number
  user_id: string
  purchase_id: number
  store_id: number
}

const users = defineQuickstart<User>({
  name: 'users',
  keyField: 'userid',
  value: fields.record<User>({
    registertime: fields.int(TIME_2017),
    userid: fields.regex('User_[1-9]'),
    regionid: fields.regex('Region_[1-9]'),
    gender: fields.options(['MALE', 'FEMALE', 'OTHER'] as const),
  }),
  schema: z.object({
    registertime: z.number().int(),
    userid: z.string(),
    regionid: z.string(),
    gender: z.enum(['MALE', 'FEMALE', 'OTHER']),
  }),
})

const pageviews = defineQuickstart<Pageview>({
  name: 'pageviews',
  keyField: 'viewtime',
  value: fields.record<Pageview>({
    viewtime: fields.iteration({ start: 1, step: 10 }),
    userid: fields.regex('User_[1-9]'),
    pageid: fields.regex('Page_[1-9][0-9]?'),
  }),
  schema: z.object({ viewtime: z.number().int(), userid: z.string(), pageid: z.string() }),
})

const orders = defineQuickstart<Order>({
  name: 'orders',
  keyField: 'orderid',
  value: fields.record<Order>({
    ordertime: fields.int(TIME_2017),
    orderid: fields.iteration({ start: 0 }),
    itemid: fields.regex('Item_[1-9][0-9]{0,2}'),
    orderunits: fields.double({ min: 0.1, max: 10 }),
    address: fields.record<Order['address']>({
      city: fields.regex('City_[1-9]{0,2}'),
      state: fields.regex('State_[1-9]{0,2}'),
      zipcode: fields.int({ min: 10000, max: 99999 }),
    }),
  }),
  schema: z.object({
    ordertime: z.number().int(),
    orderid: z.number().int(),
    itemid: z.string(),
    orderunits: z.number(),
    address: z.object({ city: z.string(), state: z.string(), zipcode: z.number().int() }),
  }),
})

const stockTrades = defineQuickstart<StockTrade>({
  name: 'stock_trades',
  keyField: 'symbol',
  value: fields.record<StockTrade>({
    side: fields.options(['BUY', 'SELL', 'SHORT'] as const),
    quantity: fields.int({ min: 1, max: 5000 }),
    symbol: fields.options(['ZBZX', 'ZJZZT', 'ZTEST', 'ZVV', 'ZVZZT', 'ZWZZT', 'ZXZZT']),
    price: fields.int({ min: 5, max: 1000 }),
    account: fields.options(['ABC123', 'LMN456', 'XYZ789']),
    userid: fields.regex('User_[1-9]{0,1}'),
  }),
  schema: z.object({
    side: z.enum(['BUY', 'SELL', 'SHORT']),
    quantity: z.number().int(),
    symbol: z.string(),
    price: z.number().int(),
    account: z.string(),
    userid: z.string(),
  }),
})

/** The client addresses of Confluent's clickstream schema (a few appear twice there, and so here). */
const CLICK_IPS = [
  '111.152.45.45',
  '111.203.236.146',
  '111.168.57.122',
  '111.249.79.93',
  '111.168.57.122',
  '111.90.225.227',
  '111.173.165.103',
  '111.145.8.144',
  '111.245.174.248',
  '111.245.174.111',
  '222.152.45.45',
  '222.203.236.146',
  '222.168.57.122',
  '222.249.79.93',
  '222.168.57.122',
  '222.90.225.227',
  '222.173.165.103',
  '222.145.8.144',
  '222.245.174.248',
  '222.245.174.222',
  '122.152.45.245',
  '122.203.236.246',
  '122.168.57.222',
  '122.249.79.233',
  '122.168.57.222',
  '122.90.225.227',
  '122.173.165.203',
  '122.145.8.244',
  '122.245.174.248',
  '122.245.174.122',
  '233.152.245.45',
  '233.203.236.146',
  '233.168.257.122',
  '233.249.279.93',
  '233.168.257.122',
  '233.90.225.227',
  '233.173.215.103',
  '233.145.28.144',
  '233.245.174.248',
  '233.245.174.233',
]

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** An access log time, `dd/MMM/yyyy:HH:mm:ss +0000`, in UTC. */
function accessLogTime(ms: number): string {
  const d = new Date(ms)
  const two = (n: number) => String(n).padStart(2, '0')
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`
}

const clickTime = fields.iteration({ start: 1, step: 10 })

const clickstream = defineQuickstart<Clickstream>({
  name: 'clickstream',
  keyField: 'ip',
  value: fields.record<Clickstream>({
    ip: fields.options(CLICK_IPS),
    userid: fields.int({ min: -1, max: 40 }),
    remote_user: fields.constant('-'),
    time: fields.map(clickTime, accessLogTime),
    _time: clickTime,
    request: fields.options([
      'GET /index.html HTTP/1.1',
      'GET /site/user_status.html HTTP/1.1',
      'GET /site/login.html HTTP/1.1',
      'GET /site/user_status.html HTTP/1.1',
      'GET /images/track.png HTTP/1.1',
      'GET /images/logo-small.png HTTP/1.1',
    ]),
    status: fields.options(['200', '302', '404', '405', '406', '407']),
    bytes: fields.options(['278', '1289', '2048', '4096', '4006', '4196', '14096']),
    referrer: fields.constant('-'),
    agent: fields.options([
      'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/59.0.3071.115 Safari/537.36',
    ]),
  }),
  schema: z.object({
    ip: z.string(),
    userid: z.number().int(),
    remote_user: z.string(),
    time: z.string(),
    _time: z.number().int(),
    request: z.string(),
    status: z.string(),
    bytes: z.string(),
    referrer: z.string(),
    agent: z.string(),
  }),
})

const transactions = defineQuickstart<Transaction>({
  name: 'transactions',
  keyField: 'transaction_id',
  value: fields.record<Transaction>({
    transaction_id: fields.iteration({ start: 1 }),
    card_id: fields.int({ min: 1, max: 24 }),
    user_id: fields.regex('User_[1-9]{0,1}'),
    purchase_id: fields.iteration({ start: 0 }),
    store_id: fields.int({ min: 1, max: 7 }),
  }),
  schema: z.object({
    transaction_id: z.number().int(),
    card_id: z.number().int(),
    user_id: z.string(),
    purchase_id: z.number().int(),
    store_id: z.number().int(),
  }),
})

/**
 * The quickstarts of Confluent's kafka-connect-datagen, transcribed from its Avro schemas'
 * `arg.properties` (field order, options, `[min, max)` ranges, regexes, iterations) with the same key
 * fields: `users` (key `userid`), `pageviews` (`viewtime`), `orders` (`orderid`), `stock_trades`
 * (`symbol`), `clickstream` (`ip`) and `transactions` (`transaction_id`). Where the schemas differ
 * between Confluent's tools, `users` and `pageviews` both use `User_[1-9]` ids so that they join;
 * `clickstream` formats `time` from the same iteration as `_time` (what ksql-datagen's `format_as_time`
 * does, without its wall clock, so a seed gives the same stream).
 *
 * @example
 * ```ts
 * const pageviews = await bus.createTopic('pageviews', { value: quickstarts.pageviews.codec })
 * ```
 */
export const quickstarts = Object.freeze({
  users,
  pageviews,
  orders,
  stock_trades: stockTrades,
  clickstream,
  transactions,
})

/**
 * The name of a built-in quickstart.
 *
 * @example
 * ```ts
 * const name: QuickstartName = 'pageviews'
 * ```
 */
export type QuickstartName = keyof typeof quickstarts

/**
 * The value type of a quickstart, by name or definition.
 *
 * @example
 * ```ts
 * type V = QuickstartValue<'orders'> // Order
 * ```
 */
export type QuickstartValue<Q> = Q extends QuickstartName
  ? (typeof quickstarts)[Q] extends Quickstart<infer V>
    ? V
    : never
  : Q extends Quickstart<infer V>
    ? V
    : never

/**
 * A quickstart by name (as the CLI and connector configs give it), or throws InvalidConfigError naming
 * the known ones.
 *
 * @example
 * ```ts
 * const quickstart = quickstartNamed('users')
 * ```
 */
export function quickstartNamed(name: string): Quickstart<object> {
  const found = Object.hasOwn(quickstarts, name) ? quickstarts[name as QuickstartName] : undefined
  if (found === undefined) {
    throw new InvalidConfigError(
      'quickstart',
      `unknown quickstart "${name}"; known: ${Object.keys(quickstarts).join(', ')}`,
    )
  }
  return found as unknown as Quickstart<object>
}
