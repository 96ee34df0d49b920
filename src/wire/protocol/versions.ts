/**
 * An inclusive version range; `max` is `Infinity` for an open range (`"3+"`), and `min > max` for
 * `"none"`.
 *
 * @example
 * ```ts
 * const r: VersionRange = { min: 3, max: Number.POSITIVE_INFINITY }
 * ```
 */
export interface VersionRange {
  readonly min: number
  readonly max: number
}

const NONE: VersionRange = { min: 1, max: 0 }
const parsed = new Map<string, VersionRange>()

/**
 * Parses one of Kafka's version strings: `"0+"`, `"3-12"`, `"5"` or `"none"`.
 *
 * @example
 * ```ts
 * parseVersions('3-12') // { min: 3, max: 12 }
 * ```
 */
export function parseVersions(spec: string): VersionRange {
  const cached = parsed.get(spec)
  if (cached !== undefined) return cached
  let range: VersionRange
  const match = /^(\d+)(\+|-(\d+))?$/.exec(spec)
  if (spec === 'none') range = NONE
  else if (match === null) throw new TypeError(`Invalid version range "${spec}"`)
  else {
    const min = Number(match[1])
    const max = match[2] === '+' ? Number.POSITIVE_INFINITY : match[3] === undefined ? min : Number(match[3])
    range = { min, max }
  }
  parsed.set(spec, range)
  return range
}

/**
 * Whether `version` lies in the range `spec` (an absent spec is `"none"`).
 *
 * @example
 * ```ts
 * inVersions('3+', 9) // true
 * ```
 */
export function inVersions(spec: string | undefined, version: number): boolean {
  if (spec === undefined) return false
  const { min, max } = parseVersions(spec)
  return version >= min && version <= max
}
