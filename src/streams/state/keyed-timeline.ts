/**
 * What the windowed stores share: per key id, entries sorted by a time (a window's start, a
 * record's timestamp), the observed stream time of the processor that owns the store, and the
 * retention that drops entries too far behind it. Expired entries leave memory in sweeps (every
 * eighth of the retention of stream time) and are filtered out of reads in between.
 */
export abstract class KeyedTimeline<E> {
  protected readonly byKey = new Map<string, E[]>()
  #size = 0
  #nextSweep = Number.NEGATIVE_INFINITY
  /** The largest record timestamp the owning processor has seen. */
  streamTime = Number.NEGATIVE_INFINITY

  constructor(
    readonly name: string,
    readonly retentionMs: number,
  ) {}

  get size(): number {
    return this.#size
  }

  /** Where an entry sorts in its key's list. */
  protected abstract sortTime(entry: E): number
  /** Whether an entry is still kept while stream time minus retention is `horizon`. */
  protected abstract live(entry: E, horizon: number): boolean
  /** What an entry says of stream time when the store is restored. */
  protected abstract seenTime(entry: E): number

  /** Stream time minus retention: entries at or behind it are gone. */
  get horizon(): number {
    return this.streamTime - this.retentionMs
  }

  /** Records a new stream time and drops expired entries now and then. */
  advance(timestamp: number): void {
    if (timestamp <= this.streamTime) return
    this.streamTime = timestamp
    if (timestamp >= this.#nextSweep) {
      this.#nextSweep = timestamp + Math.max(1, Math.floor(this.retentionMs / 8))
      this.expire()
    }
  }

  protected insert(id: string, entry: E): void {
    let list = this.byKey.get(id)
    if (list === undefined) {
      list = []
      this.byKey.set(id, list)
    }
    const time = this.sortTime(entry)
    let i = list.length
    while (i > 0 && this.sortTime(list[i - 1]!) > time) i--
    // Time mostly moves forward: the new entry goes last, and a push allocates nothing.
    if (i === list.length) list.push(entry)
    else list.splice(i, 0, entry)
    this.#size++
  }

  protected remove(id: string, entry: E): boolean {
    const list = this.byKey.get(id)
    const at = list?.indexOf(entry) ?? -1
    if (list === undefined || at < 0) return false
    list.splice(at, 1)
    if (list.length === 0) this.byKey.delete(id)
    this.#size--
    return true
  }

  /** After a restore: stream time is the latest the entries show, and what expired goes. */
  protected restoreStreamTime(): void {
    let latest = Number.NEGATIVE_INFINITY
    for (const list of this.byKey.values()) for (const e of list) latest = Math.max(latest, this.seenTime(e))
    this.streamTime = latest
    this.expire()
  }

  protected expire(): void {
    const horizon = this.horizon
    for (const [id, list] of this.byKey) {
      const kept = list.filter((e) => this.live(e, horizon))
      if (kept.length === list.length) continue
      this.#size -= list.length - kept.length
      if (kept.length === 0) this.byKey.delete(id)
      else this.byKey.set(id, kept)
    }
  }
}
