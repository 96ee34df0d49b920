import { InvalidConfigError } from '../index'

/**
 * A window of time: `start` inclusive; `end` exclusive for time windows (tumbling, hopping), inclusive
 * for sliding and session windows, as in Kafka Streams. Milliseconds since the epoch.
 *
 * @example
 * ```ts
 * const minute: Window = { start: 60_000, end: 120_000 }
 * ```
 */
export interface Window {
  readonly start: number
  readonly end: number
}

/**
 * The key of a windowed aggregation: the grouped key and its window (Kafka's `Windowed<K>`).
 *
 * @example
 * ```ts
 * counts.toStream().foreach((windowed, count) => {
 *   console.log(windowed.key, new Date(windowed.window.start).toISOString(), count)
 * })
 * ```
 */
export interface Windowed<K> {
  readonly key: K
  readonly window: Window
}

/** Kafka Streams' default retention of windowed state: one day. */
export const DEFAULT_WINDOW_RETENTION_MS = 24 * 60 * 60 * 1000

function checkDuration(field: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new InvalidConfigError(field, `must be an integer number of milliseconds >= ${min}, got ${value}`)
  }
  return value
}

/**
 * Fixed-size windows aligned to the epoch: tumbling (`advanceMs` = `sizeMs`, the default) or hopping
 * (`advanceBy`, smaller than the size, so a record falls into several windows). Windows are
 * `[start, start + sizeMs)` with `start` a multiple of `advanceMs`. A window accepts records until
 * stream time (the largest record timestamp seen) reaches `end + graceMs`; later records are dropped
 * and counted (`lateRecord`).
 *
 * @example
 * ```ts
 * const tumbling = TimeWindows.ofSizeWithNoGrace(60_000)
 * const hopping = TimeWindows.ofSizeAndGrace(5 * 60_000, 30_000).advanceBy(60_000)
 * grouped.windowedBy(tumbling).count()
 * ```
 */
export class TimeWindows {
  private constructor(
    readonly sizeMs: number,
    readonly advanceMs: number,
    readonly graceMs: number,
  ) {}

  /**
   * Tumbling windows of `sizeMs` that close as soon as stream time passes their end.
   *
   * @example
   * ```ts
   * const perMinute = TimeWindows.ofSizeWithNoGrace(60_000)
   * ```
   */
  static ofSizeWithNoGrace(sizeMs: number): TimeWindows {
    return TimeWindows.ofSizeAndGrace(sizeMs, 0)
  }

  /**
   * Tumbling windows of `sizeMs` that accept out-of-order records until stream time reaches
   * `end + graceMs`.
   *
   * @example
   * ```ts
   * const perHour = TimeWindows.ofSizeAndGrace(3_600_000, 600_000)
   * ```
   */
  static ofSizeAndGrace(sizeMs: number, graceMs: number): TimeWindows {
    const size = checkDuration('windows.sizeMs', sizeMs, 1)
    return new TimeWindows(size, size, checkDuration('windows.graceMs', graceMs, 0))
  }

  /**
   * Hopping windows: a new window starts every `advanceMs` (at most the size).
   *
   * @example
   * ```ts
   * const fiveMinutesEveryMinute = TimeWindows.ofSizeWithNoGrace(300_000).advanceBy(60_000)
   * ```
   */
  advanceBy(advanceMs: number): TimeWindows {
    const advance = checkDuration('windows.advanceMs', advanceMs, 1)
    if (advance > this.sizeMs) {
      throw new InvalidConfigError('windows.advanceMs', `must not exceed the window size ${this.sizeMs}`)
    }
    return new TimeWindows(this.sizeMs, advance, this.graceMs)
  }

  /**
   * The start of every window `timestamp` falls into, oldest first (Kafka's `windowsFor`): none for a
   * negative timestamp.
   *
   * @example
   * ```ts
   * TimeWindows.ofSizeWithNoGrace(5000).advanceBy(3000).windowStartsFor(7000) // [3000, 6000]
   * ```
   */
  windowStartsFor(timestamp: number): number[] {
    const starts: number[] = []
    const advance = this.advanceMs
    const from = Math.max(0, timestamp - this.sizeMs + advance)
    for (let start = from - (from % advance); start <= timestamp; start += advance) starts.push(start)
    return starts
  }
}

/**
 * Sliding windows for aggregations (Kafka's `SlidingWindows`): two records are in a common window
 * when their timestamps differ by at most `timeDifferenceMs`. Windows are aligned to the records, not
 * the epoch, and both bounds are inclusive; each distinct set of records is aggregated once.
 *
 * @example
 * ```ts
 * grouped.windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(10 * 60_000, 30 * 60_000)).count()
 * ```
 */
export class SlidingWindows {
  private constructor(
    readonly timeDifferenceMs: number,
    readonly graceMs: number,
  ) {}

  /**
   * Sliding windows with no grace period.
   *
   * @example
   * ```ts
   * const within10s = SlidingWindows.ofTimeDifferenceWithNoGrace(10_000)
   * ```
   */
  static ofTimeDifferenceWithNoGrace(timeDifferenceMs: number): SlidingWindows {
    return SlidingWindows.ofTimeDifferenceAndGrace(timeDifferenceMs, 0)
  }

  /**
   * Sliding windows that accept records until stream time passes their end by `graceMs`.
   *
   * @example
   * ```ts
   * const windows = SlidingWindows.ofTimeDifferenceAndGrace(10_000, 5_000)
   * ```
   */
  static ofTimeDifferenceAndGrace(timeDifferenceMs: number, graceMs: number): SlidingWindows {
    return new SlidingWindows(
      checkDuration('windows.timeDifferenceMs', timeDifferenceMs, 1),
      checkDuration('windows.graceMs', graceMs, 0),
    )
  }
}

/**
 * Session windows (Kafka's `SessionWindows`): a key's records closer than `inactivityGapMs` to each
 * other form one session `[first, last]`; a record between two sessions merges them. A session
 * closes when stream time passes `end + inactivityGapMs + graceMs`.
 *
 * @example
 * ```ts
 * grouped.windowedBy(SessionWindows.ofInactivityGapWithNoGrace(5 * 60_000)).count()
 * ```
 */
export class SessionWindows {
  private constructor(
    readonly inactivityGapMs: number,
    readonly graceMs: number,
  ) {}

  /**
   * Sessions separated by `inactivityGapMs` of no records, with no grace period.
   *
   * @example
   * ```ts
   * const visits = SessionWindows.ofInactivityGapWithNoGrace(30 * 60_000)
   * ```
   */
  static ofInactivityGapWithNoGrace(inactivityGapMs: number): SessionWindows {
    return SessionWindows.ofInactivityGapAndGrace(inactivityGapMs, 0)
  }

  /**
   * Sessions separated by `inactivityGapMs`, accepting out-of-order records for `graceMs` more.
   *
   * @example
   * ```ts
   * const visits = SessionWindows.ofInactivityGapAndGrace(30 * 60_000, 60_000)
   * ```
   */
  static ofInactivityGapAndGrace(inactivityGapMs: number, graceMs: number): SessionWindows {
    return new SessionWindows(
      checkDuration('windows.inactivityGapMs', inactivityGapMs, 1),
      checkDuration('windows.graceMs', graceMs, 0),
    )
  }
}

/**
 * The window of a stream–stream join (Kafka's `JoinWindows`): a record joins the other side's records
 * with the same key whose timestamps are at most `beforeMs` earlier and `afterMs` later. Left and
 * outer joins emit a record without a match once stream time passes its window by `graceMs`.
 *
 * @example
 * ```ts
 * const within5min = JoinWindows.ofTimeDifferenceAndGrace(5 * 60_000, 60_000)
 * const onlyAfter = JoinWindows.ofTimeDifferenceWithNoGrace(10_000).before(0)
 * ```
 */
export class JoinWindows {
  private constructor(
    readonly beforeMs: number,
    readonly afterMs: number,
    readonly graceMs: number,
  ) {}

  /**
   * Records join when their timestamps differ by at most `timeDifferenceMs`, with no grace period.
   *
   * @example
   * ```ts
   * const windows = JoinWindows.ofTimeDifferenceWithNoGrace(60_000)
   * ```
   */
  static ofTimeDifferenceWithNoGrace(timeDifferenceMs: number): JoinWindows {
    return JoinWindows.ofTimeDifferenceAndGrace(timeDifferenceMs, 0)
  }

  /**
   * Records join when their timestamps differ by at most `timeDifferenceMs`; out-of-order records are
   * accepted for `graceMs` more.
   *
   * @example
   * ```ts
   * const windows = JoinWindows.ofTimeDifferenceAndGrace(60_000, 10_000)
   * ```
   */
  static ofTimeDifferenceAndGrace(timeDifferenceMs: number, graceMs: number): JoinWindows {
    const difference = checkDuration('windows.timeDifferenceMs', timeDifferenceMs, 0)
    return new JoinWindows(difference, difference, checkDuration('windows.graceMs', graceMs, 0))
  }

  /**
   * The same windows with another lower bound: a left record joins right records at most `beforeMs`
   * older than itself.
   *
   * @example
   * ```ts
   * const windows = JoinWindows.ofTimeDifferenceWithNoGrace(60_000).before(0)
   * ```
   */
  before(beforeMs: number): JoinWindows {
    return new JoinWindows(checkDuration('windows.beforeMs', beforeMs, 0), this.afterMs, this.graceMs)
  }

  /**
   * The same windows with another upper bound: a left record joins right records at most `afterMs`
   * newer than itself.
   *
   * @example
   * ```ts
   * const windows = JoinWindows.ofTimeDifferenceWithNoGrace(60_000).after(0)
   * ```
   */
  after(afterMs: number): JoinWindows {
    return new JoinWindows(this.beforeMs, checkDuration('windows.afterMs', afterMs, 0), this.graceMs)
  }
}

/**
 * How `suppress` holds back the updates of a windowed table (Kafka's `Suppressed`).
 *
 * @example
 * ```ts
 * counts.suppress(Suppressed.untilWindowCloses()).toStream().to('final-counts')
 * ```
 */
export class Suppressed {
  private constructor(readonly until: 'windowCloses') {}

  /**
   * Emit only the final result of each window, once stream time passes its end plus the grace period;
   * nothing before. The buffer is unbounded and kept in a changelog like any state.
   *
   * @example
   * ```ts
   * const final = windowedCounts.suppress(Suppressed.untilWindowCloses())
   * ```
   */
  static untilWindowCloses(): Suppressed {
    return new Suppressed('windowCloses')
  }
}

/** A windowed key, frozen like every value logbus hands out. */
export function windowed<K>(key: K, start: number, end: number): Windowed<K> {
  return Object.freeze({ key, window: Object.freeze({ start, end }) })
}
