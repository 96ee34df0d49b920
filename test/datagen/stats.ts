/**
 * Frequency checks for generated data. Every test that uses them runs with a fixed seed, so a check
 * that passes once passes every time: the tolerances say how far from the ideal a correct generator may
 * be, and the seed makes the outcome deterministic.
 */

/** How many times each value occurs. */
export function counts<T>(values: Iterable<T>): Map<T, number> {
  const out = new Map<T, number>()
  for (const value of values) out.set(value, (out.get(value) ?? 0) + 1)
  return out
}

/**
 * Pearson's chi-square statistic of observed counts against a uniform distribution over `categories`
 * (a category never observed counts as 0).
 */
export function chiSquareUniform<T>(observed: Map<T, number>, categories: readonly T[]): number {
  const total = [...observed.values()].reduce((a, b) => a + b, 0)
  const expected = total / categories.length
  let chi = 0
  for (const category of categories) {
    const diff = (observed.get(category) ?? 0) - expected
    chi += (diff * diff) / expected
  }
  return chi
}

/**
 * The chi-square value a uniform sample exceeds with probability 0.001, for `df` degrees of freedom
 * (Wilson–Hilferty approximation, within 1% for df ≥ 2).
 */
export function chiSquareCritical(df: number): number {
  const z = 3.090232 // the standard normal's 0.999 quantile
  const a = 2 / (9 * df)
  return df * (1 - a + z * Math.sqrt(a)) ** 3
}

/** The share of `values` for which `predicate` holds. */
export function share<T>(values: readonly T[], predicate: (value: T) => boolean): number {
  return values.filter(predicate).length / values.length
}

export function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length
}
