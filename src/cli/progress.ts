import type { OutStream } from './output'

const REFRESH_MS = 250

/**
 * A rate line on stderr (`12,345 records  98,765 records/s`) while long work runs — only when stderr is
 * a terminal, so that piped and scripted runs get nothing but their output.
 */
export class Progress {
  readonly #stream: OutStream
  readonly #unit: string
  readonly #started = performance.now()
  #count = 0
  #timer: ReturnType<typeof setInterval> | undefined
  #extra: () => string = () => ''

  constructor(stream: OutStream, unit: string, extra?: () => string) {
    this.#stream = stream
    this.#unit = unit
    if (extra !== undefined) this.#extra = extra
    if (stream.isTTY === true) {
      this.#timer = setInterval(() => this.#draw(), REFRESH_MS)
      this.#timer.unref()
    }
  }

  add(count: number): void {
    this.#count += count
  }

  set(count: number): void {
    this.#count = count
  }

  /** Clears the line. */
  done(): void {
    if (this.#timer === undefined) return
    clearInterval(this.#timer)
    this.#timer = undefined
    this.#stream.write('\r\x1b[K')
  }

  #draw(): void {
    const seconds = (performance.now() - this.#started) / 1000
    const rate = seconds > 0 ? Math.round(this.#count / seconds) : 0
    this.#stream.write(
      `\r\x1b[K${this.#count.toLocaleString('en')} ${this.#unit}  ${rate.toLocaleString('en')} ${this.#unit}/s${this.#extra()}`,
    )
  }
}

/** Runs `work` with a rate line that is cleared however it ends. */
export async function withProgress<T>(
  stream: OutStream,
  unit: string,
  work: (progress: Progress) => Promise<T>,
): Promise<T> {
  const progress = new Progress(stream, unit)
  try {
    return await work(progress)
  } finally {
    progress.done()
  }
}
