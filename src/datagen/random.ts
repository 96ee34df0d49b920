import { randomBytes } from 'node:crypto'
import { InvalidConfigError } from '../index'

/**
 * A seed: any safe integer, or a string (hashed to 32 bits with FNV-1a).
 *
 * @example
 * ```ts
 * const seed: Seed = 42
 * ```
 */
export type Seed = number | string

/**
 * The whole state of a {@link SeededRandom}: four unsigned 32-bit words. Saving it and restoring it with
 * `SeededRandom.fromState` continues the same stream (what a datagen source stores in its offsets).
 *
 * @example
 * ```ts
 * const state: RandomState = [1, 2, 3, 4]
 * ```
 */
export type RandomState = readonly [number, number, number, number]

/**
 * A small, fast, seedable pseudo-random generator: xoshiro128** (Blackman and Vigna), its 128-bit state
 * filled from the seed by splitmix32. The same seed gives the same stream on every machine and Node
 * version, which `Math.random` cannot. Not for cryptography.
 *
 * @example
 * ```ts
 * const random = new SeededRandom(42)
 * random.next() // a number in [0, 1), the same one every time for seed 42
 * random.int(1, 7) // 1 to 6
 * ```
 */
export class SeededRandom {
  #a: number
  #b: number
  #c: number
  #d: number

  /**
   * A generator seeded with `seed`; without one, with 128 random bits from the operating system.
   *
   * @example
   * ```ts
   * const seeded = new SeededRandom('pageviews')
   * ```
   */
  constructor(seed?: Seed) {
    if (seed === undefined) {
      const bytes = randomBytes(16)
      this.#a = bytes.readUInt32LE(0)
      this.#b = bytes.readUInt32LE(4)
      this.#c = bytes.readUInt32LE(8)
      this.#d = bytes.readUInt32LE(12) | 1
      return
    }
    let x = seedWord(seed)
    const splitmix = (): number => {
      x = (x + 0x9e3779b9) | 0
      let z = x
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
      return (z ^ (z >>> 16)) >>> 0
    }
    this.#a = splitmix()
    this.#b = splitmix()
    this.#c = splitmix()
    this.#d = splitmix()
    // xoshiro's only invalid state is all zeros, which splitmix32 never gives four times over.
  }

  /**
   * A generator that continues from a saved {@link RandomState}.
   *
   * @example
   * ```ts
   * const copy = SeededRandom.fromState(random.state())
   * ```
   */
  static fromState(state: RandomState): SeededRandom {
    const words: unknown = state
    if (
      !Array.isArray(words) ||
      words.length !== 4 ||
      !words.every((word) => Number.isInteger(word) && word >= 0 && word <= 0xffffffff) ||
      words.every((word) => word === 0)
    ) {
      throw new InvalidConfigError('random.state', 'expected four unsigned 32-bit integers, not all zero')
    }
    const random = new SeededRandom(0)
    ;[random.#a, random.#b, random.#c, random.#d] = state
    return random
  }

  /**
   * The current state, to continue the stream later with `fromState`.
   *
   * @example
   * ```ts
   * const saved = random.state()
   * ```
   */
  state(): RandomState {
    return [this.#a >>> 0, this.#b >>> 0, this.#c >>> 0, this.#d >>> 0]
  }

  /**
   * The next unsigned 32-bit integer.
   *
   * @example
   * ```ts
   * const word = random.uint32()
   * ```
   */
  uint32(): number {
    const result = Math.imul(rotl(Math.imul(this.#b, 5), 7), 9) >>> 0
    const t = this.#b << 9
    this.#c ^= this.#a
    this.#d ^= this.#b
    this.#b ^= this.#c
    this.#a ^= this.#d
    this.#c ^= t
    this.#d = rotl(this.#d, 11)
    return result
  }

  /**
   * A number in [0, 1) with 53 random bits (every double of the interval's grid can come out).
   *
   * @example
   * ```ts
   * if (random.next() < 0.25) console.log('one time in four')
   * ```
   */
  next(): number {
    const high = this.uint32() >>> 5 // 27 bits
    const low = this.uint32() >>> 6 // 26 bits
    return (high * 67108864 + low) / 9007199254740992
  }

  /**
   * An integer in [min, max): uniform, without modulo bias.
   *
   * @example
   * ```ts
   * const die = random.int(1, 7)
   * ```
   */
  int(min: number, max: number): number {
    const span = max - min
    if (!Number.isSafeInteger(span) || span <= 0) {
      throw new InvalidConfigError('range', `expected integers with min < max, got [${min}, ${max})`)
    }
    if (span <= 0x100000000) {
      // Rejection sampling: draws past the largest multiple of span are thrown back.
      const limit = 0x100000000 - (0x100000000 % span)
      for (;;) {
        const word = this.uint32()
        if (word < limit) return min + (word % span)
      }
    }
    return min + Math.floor(this.next() * span)
  }

  /**
   * A number in [min, max).
   *
   * @example
   * ```ts
   * const units = random.float(0.1, 10)
   * ```
   */
  float(min: number, max: number): number {
    const value = min + this.next() * (max - min)
    // Rounding can reach max itself when the interval is tiny relative to its magnitude.
    return value < max ? value : min
  }

  /**
   * True with probability `p`.
   *
   * @example
   * ```ts
   * const heads = random.chance(0.5)
   * ```
   */
  chance(p: number): boolean {
    return this.next() < p
  }

  /**
   * One element of a non-empty list, each equally likely.
   *
   * @example
   * ```ts
   * const side = random.pick(['BUY', 'SELL'])
   * ```
   */
  pick<T>(values: readonly T[]): T {
    if (values.length === 0) throw new InvalidConfigError('options', 'must not be empty')
    return values[this.int(0, values.length)]!
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k))
}

/** A 32-bit word from a seed: a string by FNV-1a over its UTF-16 units, a number by folding its two halves. */
function seedWord(seed: Seed): number {
  if (typeof seed === 'string') {
    let hash = 0x811c9dc5
    for (let i = 0; i < seed.length; i++) hash = Math.imul(hash ^ seed.charCodeAt(i), 0x01000193)
    return hash >>> 0
  }
  if (!Number.isSafeInteger(seed)) {
    throw new InvalidConfigError('seed', `must be a safe integer or a string, got ${String(seed)}`)
  }
  const high = Math.floor(seed / 0x100000000)
  return ((seed >>> 0) ^ Math.imul(high | 0, 0x9e3779b1)) >>> 0
}
