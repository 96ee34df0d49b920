import { datagen, quickstarts } from 'logbus/datagen'
import { describe, expect, it } from 'vitest'
import { chiSquareCritical, chiSquareUniform, counts, mean, share } from './stats'

const N = 20_000
const SEED = 20240601

function sample<const Q extends keyof typeof quickstarts>(quickstart: Q, n = N) {
  return datagen({ quickstart, seed: SEED, iterations: n }).take(n)
}

/** Every category of a uniform choice shows up, and no more unevenly than chance allows. */
function expectUniform<T>(values: readonly T[], categories: readonly T[]): void {
  const observed = counts(values)
  expect(new Set(observed.keys())).toEqual(new Set(categories))
  expect(chiSquareUniform(observed, categories)).toBeLessThan(chiSquareCritical(categories.length - 1))
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i)
const TIME_MIN = 1487715775521
const TIME_MAX = 1519273364600

describe('quickstarts (Confluent kafka-connect-datagen schemas)', () => {
  it('users: registertime in its range, userid User_1..9 and regionid Region_1..9 uniform, gender uniform; keyed by userid', () => {
    const records = sample('users')
    const values = records.map((r) => r.value)
    expect(records.every((r) => r.key === r.value.userid)).toBe(true)
    expect(values.every((v) => v.registertime >= TIME_MIN && v.registertime < TIME_MAX)).toBe(true)
    expect(Math.abs(mean(values.map((v) => v.registertime)) - (TIME_MIN + TIME_MAX) / 2)).toBeLessThan(
      (TIME_MAX - TIME_MIN) * 0.01,
    )
    expectUniform(
      values.map((v) => v.userid),
      range(1, 10).map((i) => `User_${i}`),
    )
    expectUniform(
      values.map((v) => v.regionid),
      range(1, 10).map((i) => `Region_${i}`),
    )
    expectUniform(
      values.map((v) => v.gender),
      ['MALE', 'FEMALE', 'OTHER'],
    )
    expect(Object.keys(values[0]!)).toEqual(['registertime', 'userid', 'regionid', 'gender'])
  })

  it('pageviews: viewtime iterates 1, 11, 21, … and is the key; pageid Page_[1-9][0-9]?', () => {
    const records = sample('pageviews')
    expect(records.slice(0, 4).map((r) => r.value.viewtime)).toEqual([1, 11, 21, 31])
    expect(
      records.every((r, i) => r.value.viewtime === 1 + 10 * i && r.key === String(r.value.viewtime)),
    ).toBe(true)
    const pageids = records.map((r) => r.value.pageid)
    expect(pageids.every((p) => /^Page_[1-9][0-9]?$/.test(p))).toBe(true)
    // `?` is a coin flip: about half the ids have two digits.
    expect(share(pageids, (p) => p.length === 7)).toBeCloseTo(0.5, 1)
    expectUniform(
      pageids.map((p) => p[5]),
      range(1, 10).map(String),
    )
  })

  it('users and pageviews share their user ids, so every page view joins a user', () => {
    const userIds = new Set(sample('users', 1000).map((r) => r.value.userid))
    const views = sample('pageviews', 1000)
    expect(views.every((v) => userIds.has(v.value.userid))).toBe(true)
    expect(new Set(views.map((v) => v.value.userid))).toEqual(userIds)
  })

  it('orders: orderid iterates from 0 (the key), orderunits in [0.1, 10), itemid and address fields per their regexes', () => {
    const records = sample('orders')
    expect(records.every((r, i) => r.value.orderid === i && r.key === String(i))).toBe(true)
    const values = records.map((r) => r.value)
    expect(values.every((v) => v.orderunits >= 0.1 && v.orderunits < 10)).toBe(true)
    expect(mean(values.map((v) => v.orderunits))).toBeCloseTo(5.05, 1)
    expect(values.every((v) => /^Item_[1-9][0-9]{0,2}$/.test(v.itemid))).toBe(true)
    // {0,2}: zero, one or two digits, each a third of the time.
    expectUniform(
      values.map((v) => v.address.city.length - 'City_'.length),
      [0, 1, 2],
    )
    expect(values.every((v) => /^State_[1-9]{0,2}$/.test(v.address.state))).toBe(true)
    expect(
      values.every(
        (v) => Number.isInteger(v.address.zipcode) && v.address.zipcode >= 10000 && v.address.zipcode < 99999,
      ),
    ).toBe(true)
    expect(values.every((v) => v.ordertime >= TIME_MIN && v.ordertime < TIME_MAX)).toBe(true)
  })

  it('stock_trades: side, symbol and account uniform over their options; quantity and price in range; keyed by symbol', () => {
    const records = sample('stock_trades')
    const values = records.map((r) => r.value)
    expect(records.every((r) => r.key === r.value.symbol)).toBe(true)
    expectUniform(
      values.map((v) => v.side),
      ['BUY', 'SELL', 'SHORT'],
    )
    expectUniform(
      values.map((v) => v.symbol),
      ['ZBZX', 'ZJZZT', 'ZTEST', 'ZVV', 'ZVZZT', 'ZWZZT', 'ZXZZT'],
    )
    expectUniform(
      values.map((v) => v.account),
      ['ABC123', 'LMN456', 'XYZ789'],
    )
    expect(values.every((v) => Number.isInteger(v.quantity) && v.quantity >= 1 && v.quantity < 5000)).toBe(
      true,
    )
    expect(values.every((v) => Number.isInteger(v.price) && v.price >= 5 && v.price < 1000)).toBe(true)
    // User_[1-9]{0,1}: "User_" alone half of the time.
    expect(share(values, (v) => v.userid === 'User_')).toBeCloseTo(0.5, 1)
  })

  it('clickstream: ip from the schema list (the key), userid in [-1, 40), _time iterates by 10 and time formats it', () => {
    const records = sample('clickstream')
    const values = records.map((r) => r.value)
    expect(records.every((r) => r.key === r.value.ip)).toBe(true)
    expect(new Set(values.map((v) => v.ip)).size).toBe(36) // 40 entries, 4 of them repeated
    expectUniform(
      values.map((v) => v.userid),
      range(-1, 40),
    )
    expect(values.every((v, i) => v._time === 1 + 10 * i)).toBe(true)
    expect(values[0]!.time).toBe('01/Jan/1970:00:00:00 +0000')
    expect(values.every((v) => /^\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d \+0000$/.test(v.time))).toBe(true)
    expectUniform(
      values.map((v) => v.status),
      ['200', '302', '404', '405', '406', '407'],
    )
    expect(values.every((v) => v.remote_user === '-' && v.referrer === '-')).toBe(true)
  })

  it('transactions: transaction_id from 1 (the key) and purchase_id from 0 iterate; card_id in [1, 24), store_id in [1, 7)', () => {
    const records = sample('transactions')
    expect(records.every((r, i) => r.value.transaction_id === i + 1 && r.value.purchase_id === i)).toBe(true)
    expect(records.every((r) => r.key === String(r.value.transaction_id))).toBe(true)
    expectUniform(
      records.map((r) => r.value.card_id),
      range(1, 24),
    )
    expectUniform(
      records.map((r) => r.value.store_id),
      range(1, 7),
    )
  })

  it('every generated value passes its quickstart schema', () => {
    for (const name of Object.keys(quickstarts) as (keyof typeof quickstarts)[]) {
      for (const { value } of sample(name, 200)) {
        expect(quickstarts[name].schema.safeParse(value).success).toBe(true)
      }
    }
  })
})
